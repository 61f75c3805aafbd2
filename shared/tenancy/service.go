package tenancy

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// Password rules.
const (
	MinPasswordLen = 10 // characters
	maxPasswordLen = 72 // bytes: bcrypt ignores the rest, so longer is refused
	BcryptCost     = 10
	// BootstrapPasswordLen is the length of the generated admin password.
	BootstrapPasswordLen = 20
	maxNameLen           = 200
)

// HashPassword checks the password rules (at least MinPasswordLen
// characters, at most 72 bytes; otherwise errs.Invalid) and returns its
// bcrypt hash.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return "", errs.Fieldf(errs.Invalid, "password", "the password must have at least %d characters", MinPasswordLen)
	}
	if len(password) > maxPasswordLen {
		return "", errs.Fieldf(errs.Invalid, "password", "the password must have at most %d bytes (letters outside ASCII count as 2-4)", maxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", errs.Wrap(errs.Invalid, err, "tenancy: hash password")
	}
	return string(h), nil
}

// CheckPassword reports whether password matches a bcrypt hash. It takes
// bcrypt's time whether or not it matches; an empty or malformed hash never
// matches.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// userRecord is the stored form of a User: unlike User it encodes the
// password hash.
type userRecord struct {
	ID           string    `json:"id"`
	TenantID     string    `json:"tenant_id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"password_hash,omitempty"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// Session state (see User): read with the user on every request.
	SessionEpoch    int64            `json:"session_epoch,omitempty"`
	SessionsEndedAt time.Time        `json:"sessions_ended_at,omitzero"`
	RevokedSessions []RevokedSession `json:"revoked_sessions,omitempty"`
}

func (r userRecord) user() User  { return User(r) }
func recordOf(u User) userRecord { return userRecord(u) }

// loginEntry is the global login index entry of an e-mail address.
type loginEntry struct {
	TenantID string `json:"tenant_id"`
	UserID   string `json:"user_id"`
}

// emailEntry is the per-tenant e-mail index entry.
type emailEntry struct {
	UserID string `json:"user_id"`
}

// Service manages tenants and users in a docstore. It is safe for
// concurrent use.
type Service struct {
	store    *docstore.Store
	now      func() time.Time
	logger   *slog.Logger
	accounts Accounts
}

// Accounts makes the sign-in accounts of the users an admin adds where an
// identity provider signs them in (Identity Platform in the cloud:
// shared/auth/idplatform). Invite makes sure email has an account: with
// password, one that signs in with it (the admin shares it); without, it
// tells the owner how to sign in (a mail with a link to set a password).
// It may be called again for the same email.
type Accounts interface {
	Invite(ctx context.Context, email, name, password string) error
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used for CreatedAt (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// WithAccounts makes CreateUser make every user's sign-in account through
// a (cloud mode: their Identity Platform account); passwords then live
// there, not in the store.
func WithAccounts(a Accounts) Option { return func(s *Service) { s.accounts = a } }

// NewService returns a Service over store.
func NewService(store *docstore.Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, logger: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

func tenantKey(id string) docstore.Key {
	return docstore.Key{Tenant: SystemTenant, Kind: KindTenant, ID: id}
}
func userKey(tenantID, userID string) docstore.Key {
	return docstore.Key{Tenant: tenantID, Kind: KindUser, ID: userID}
}
func emailKey(tenantID, email string) docstore.Key {
	return docstore.Key{Tenant: tenantID, Kind: KindUserEmail, ID: email}
}
func loginKey(email string) docstore.Key {
	return docstore.Key{Tenant: SystemTenant, Kind: KindLogin, ID: email}
}
func bootstrapKey() docstore.Key {
	return docstore.Key{Tenant: SystemTenant, Kind: KindBootstrap, ID: "default"}
}

func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errs.Fieldf(errs.Invalid, "name", "a %s name is required", what)
	}
	if utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name) {
		return "", errs.Fieldf(errs.Invalid, "name", "the %s name must be text of at most %d characters", what, maxNameLen)
	}
	return name, nil
}

// errEmailInUse is the answer to an e-mail address used by any user of any
// tenant (without saying which).
var errEmailInUse = errs.Fieldf(errs.Conflict, "email", "this email address is already in use")

// notFound is the error for a missing tenant or user: the log names the id,
// the user is told only what is missing.
func notFound(what, id string) error {
	return errs.Explain(errs.E(errs.NotFound, "tenancy: %s %q not found", what, id), "this %s does not exist", what)
}

func checkID(what, id string) error {
	if id == "" || id == SystemTenant || docstore.ValidateKey(docstore.Key{Tenant: id, Kind: "x", ID: id}) != nil {
		return notFound(what, id)
	}
	return nil
}

// exists reads key in tx and reports whether it exists.
func exists(ctx context.Context, tx docstore.Reader, key docstore.Key) (bool, error) {
	_, err := tx.Get(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errs.Is(err, errs.NotFound):
		return false, nil
	default:
		return false, err
	}
}

// CreateTenant creates a tenant with a new ID.
func (s *Service) CreateTenant(ctx context.Context, name string) (Tenant, error) {
	name, err := checkName("tenant", name)
	if err != nil {
		return Tenant{}, err
	}
	t := Tenant{ID: NewID(TenantIDPrefix), Name: name, CreatedAt: s.now().UTC()}
	if _, err := docstore.Put(ctx, s.store, tenantKey(t.ID), t, docstore.MustCreate); err != nil {
		return Tenant{}, fmt.Errorf("tenancy: create tenant: %w", err)
	}
	s.logger.InfoContext(ctx, "tenant created", "tenant", t.ID)
	return t, nil
}

// GetTenant returns a tenant; a missing one is errs.NotFound.
func (s *Service) GetTenant(ctx context.Context, id string) (Tenant, error) {
	if err := checkID("tenant", id); err != nil {
		return Tenant{}, err
	}
	t, _, err := docstore.Get[Tenant](ctx, s.store, tenantKey(id))
	if errs.Is(err, errs.NotFound) {
		return Tenant{}, notFound("tenant", id)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenancy: get tenant %q: %w", id, err)
	}
	return t, nil
}

// ListTenants returns every tenant, ordered by ID.
func (s *Service) ListTenants(ctx context.Context) ([]Tenant, error) {
	ts, err := docstore.List[Tenant](ctx, s.store, docstore.Query{Tenant: SystemTenant, Kind: KindTenant})
	if err != nil {
		return nil, fmt.Errorf("tenancy: list tenants: %w", err)
	}
	return ts, nil
}

// NewUser describes a user to create.
type NewUser struct {
	Email string
	Name  string // defaults to the e-mail's local part
	Role  Role
	// Password, when set, lets the user log in locally (at least
	// MinPasswordLen characters). Users who only sign in through Identity
	// Platform have none.
	Password string
}

// CreateUser creates a user in a tenant. The e-mail must be unused in every
// tenant (errs.Conflict otherwise); a missing tenant is errs.NotFound; bad
// fields are errs.Invalid.
//
// With Accounts (WithAccounts), the user is invited: after the membership
// is stored (so an email in use is refused before any account is made or
// mail sent), Accounts.Invite makes the sign-in account, with the password
// if one is given (checked as a local one is, and not stored here). If that
// fails, the membership is removed again and the error says the user was
// not added.
func (s *Service) CreateUser(ctx context.Context, tenantID string, nu NewUser) (User, error) {
	u, err := s.createUser(ctx, tenantID, nu)
	if err != nil || s.accounts == nil {
		return u, err
	}
	if err := s.accounts.Invite(ctx, u.Email, u.Name, nu.Password); err != nil {
		if rerr := s.removeUser(ctx, tenantID, u.ID); rerr != nil {
			s.logger.ErrorContext(ctx, "tenancy: user left without a sign-in account", "tenant", tenantID, "user", u.ID, "err", rerr)
		}
		return User{}, errs.Explain(errs.At("tenancy.CreateUser", err),
			"%s was not added, because their sign-in account could not be made: %s", u.Email, errs.UserMessage(err))
	}
	s.logger.InfoContext(ctx, "user invited", "tenant", tenantID, "user", u.ID)
	return u, nil
}

func (s *Service) createUser(ctx context.Context, tenantID string, nu NewUser) (User, error) {
	if err := checkID("tenant", tenantID); err != nil {
		return User{}, err
	}
	u, err := s.newUser(tenantID, nu)
	if err != nil {
		return User{}, err
	}
	if s.accounts != nil {
		u.PasswordHash = "" // the account's password is the identity provider's
	}
	err = s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		if ok, err := exists(ctx, tx, tenantKey(tenantID)); err != nil {
			return err
		} else if !ok {
			return notFound("tenant", tenantID)
		}
		return s.insertUser(ctx, tx, u)
	})
	if err != nil {
		return User{}, err
	}
	s.logger.InfoContext(ctx, "user created", "tenant", tenantID, "user", u.ID, "role", string(u.Role))
	return u, nil
}

func (s *Service) newUser(tenantID string, nu NewUser) (User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	if !nu.Role.Valid() {
		return User{}, unknownRole(nu.Role)
	}
	name := nu.Name
	if strings.TrimSpace(name) == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if name, err = checkName("user", name); err != nil {
		return User{}, err
	}
	var hash string
	if nu.Password != "" {
		if hash, err = HashPassword(nu.Password); err != nil {
			return User{}, err
		}
	}
	return User{
		ID: NewID(UserIDPrefix), TenantID: tenantID, Email: email, Name: name,
		Role: nu.Role, PasswordHash: hash, CreatedAt: s.now().UTC(),
	}, nil
}

// insertUser writes a user and its two index entries in tx. All reads come
// before the writes (a Firestore rule).
func (s *Service) insertUser(ctx context.Context, tx docstore.Tx, u User) error {
	if ok, err := exists(ctx, tx, emailKey(u.TenantID, u.Email)); err != nil {
		return err
	} else if ok {
		return errEmailInUse
	}
	if ok, err := exists(ctx, tx, loginKey(u.Email)); err != nil {
		return err
	} else if ok {
		return errEmailInUse
	}
	if _, err := docstore.Put(ctx, tx, userKey(u.TenantID, u.ID), recordOf(u), docstore.MustCreate); err != nil {
		return err
	}
	if _, err := docstore.Put(ctx, tx, emailKey(u.TenantID, u.Email), emailEntry{UserID: u.ID}, docstore.MustCreate); err != nil {
		return conflictOnEmail(err)
	}
	if _, err := docstore.Put(ctx, tx, loginKey(u.Email), loginEntry{TenantID: u.TenantID, UserID: u.ID}, docstore.MustCreate); err != nil {
		return conflictOnEmail(err)
	}
	return nil
}

func conflictOnEmail(err error) error {
	if errs.Is(err, errs.Conflict) {
		return errs.Explain(errs.Wrap(errs.Conflict, err, "tenancy: email index"), "%s", errs.UserMessage(errEmailInUse))
	}
	return err
}

// GetUser returns a user of a tenant; a missing one (or one of another
// tenant) is errs.NotFound.
func (s *Service) GetUser(ctx context.Context, tenantID, userID string) (User, error) {
	if err := checkID("tenant", tenantID); err != nil {
		return User{}, err
	}
	if err := checkID("user", userID); err != nil {
		return User{}, err
	}
	r, _, err := docstore.Get[userRecord](ctx, s.store, userKey(tenantID, userID))
	if errs.Is(err, errs.NotFound) {
		return User{}, notFound("user", userID)
	}
	if err != nil {
		return User{}, fmt.Errorf("tenancy: get user %q: %w", userID, err)
	}
	return r.user(), nil
}

// ListUsers returns the users of a tenant ordered by e-mail.
func (s *Service) ListUsers(ctx context.Context, tenantID string) ([]User, error) {
	if err := checkID("tenant", tenantID); err != nil {
		return nil, err
	}
	rs, err := docstore.List[userRecord](ctx, s.store, docstore.Query{Tenant: tenantID, Kind: KindUser, OrderBy: "email"})
	if err != nil {
		return nil, fmt.Errorf("tenancy: list users: %w", err)
	}
	out := make([]User, len(rs))
	for i, r := range rs {
		out[i] = r.user()
	}
	return out, nil
}

// FindUserByEmail finds the user with an e-mail address in any tenant
// (through the global login index), for login. An unknown address is
// errs.NotFound.
func (s *Service) FindUserByEmail(ctx context.Context, email string) (User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, errs.E(errs.NotFound, "tenancy: no user with this email")
	}
	le, _, err := docstore.Get[loginEntry](ctx, s.store, loginKey(e))
	if errs.Is(err, errs.NotFound) {
		return User{}, errs.E(errs.NotFound, "tenancy: no user with this email")
	}
	if err != nil {
		return User{}, fmt.Errorf("tenancy: find user by email: %w", err)
	}
	u, err := s.GetUser(ctx, le.TenantID, le.UserID)
	if err != nil {
		return User{}, err
	}
	if u.Email != e { // a stale index entry: never hand out another user
		s.logger.WarnContext(ctx, "login index entry does not match its user", "tenant", le.TenantID, "user", le.UserID)
		return User{}, errs.E(errs.NotFound, "tenancy: no user with this email")
	}
	return u, nil
}

// updateUser applies fn to a stored user in a transaction.
func (s *Service) updateUser(ctx context.Context, tenantID, userID string, fn func(r *userRecord) error) (User, error) {
	if err := checkID("tenant", tenantID); err != nil {
		return User{}, err
	}
	if err := checkID("user", userID); err != nil {
		return User{}, err
	}
	r, err := docstore.Update(ctx, s.store, userKey(tenantID, userID), func(r *userRecord, ok bool) error {
		if !ok {
			return notFound("user", userID)
		}
		return fn(r)
	})
	if err != nil {
		return User{}, err
	}
	return r.user(), nil
}

// otherActiveAdmins counts the enabled admins of a tenant other than userID.
func (s *Service) otherActiveAdmins(ctx context.Context, tenantID, userID string) (int, error) {
	rs, err := docstore.List[userRecord](ctx, s.store, docstore.Query{
		Tenant: tenantID, Kind: KindUser,
		Filters: []docstore.Filter{{Field: "role", Op: docstore.Eq, Value: string(RoleAdmin)}},
	})
	if err != nil {
		return 0, fmt.Errorf("tenancy: list admins: %w", err)
	}
	n := 0
	for _, r := range rs {
		if r.ID != userID && !r.Disabled {
			n++
		}
	}
	return n, nil
}

// UpdateUserRole changes a user's role. Demoting the tenant's last enabled
// admin is errs.Conflict, so a tenant always keeps someone who manages users.
func (s *Service) UpdateUserRole(ctx context.Context, tenantID, userID string, role Role) (User, error) {
	if !role.Valid() {
		return User{}, unknownRole(role)
	}
	var others = -1
	if role != RoleAdmin {
		n, err := s.otherActiveAdmins(ctx, tenantID, userID)
		if err != nil {
			return User{}, err
		}
		others = n
	}
	u, err := s.updateUser(ctx, tenantID, userID, func(r *userRecord) error {
		if r.Role == RoleAdmin && role != RoleAdmin && !r.Disabled && others == 0 {
			return errs.Userf(errs.Conflict, "this is the last admin of the tenant: make another user admin first")
		}
		r.Role = role
		return nil
	})
	if err == nil {
		s.logger.InfoContext(ctx, "user role changed", "tenant", tenantID, "user", userID, "role", string(role))
	}
	return u, err
}

// SetUserDisabled disables or re-enables a user; a disabled user cannot log
// in. Disabling the tenant's last enabled admin is errs.Conflict.
func (s *Service) SetUserDisabled(ctx context.Context, tenantID, userID string, disabled bool) (User, error) {
	others := -1
	if disabled {
		n, err := s.otherActiveAdmins(ctx, tenantID, userID)
		if err != nil {
			return User{}, err
		}
		others = n
	}
	u, err := s.updateUser(ctx, tenantID, userID, func(r *userRecord) error {
		if disabled && r.Role == RoleAdmin && !r.Disabled && others == 0 {
			return errs.Userf(errs.Conflict, "this is the last admin of the tenant: make another user admin before disabling this one")
		}
		r.Disabled = disabled
		return nil
	})
	if err == nil {
		s.logger.InfoContext(ctx, "user disabled flag changed", "tenant", tenantID, "user", userID, "disabled", disabled)
	}
	return u, err
}

// SetPassword sets a user's local password (see HashPassword for the rules).
func (s *Service) SetPassword(ctx context.Context, tenantID, userID, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.updateUser(ctx, tenantID, userID, func(r *userRecord) error {
		r.PasswordHash = hash
		return nil
	})
	return err
}

// MaxRevokedSessions bounds the single sessions a user record remembers as
// ended by logout; a logout beyond it ends every session of the user
// instead (EndSessions), so the record stays small.
const MaxRevokedSessions = 50

// RevokeSession ends one session of a user (logout): the token with the
// id sessionID, which expires at until, is refused from now on by every
// instance, because the user record is read with each request. Entries
// past their expiry are dropped.
func (s *Service) RevokeSession(ctx context.Context, tenantID, userID, sessionID string, until time.Time) error {
	if sessionID == "" {
		return errs.E(errs.Invalid, "tenancy: revoke session: no session id")
	}
	now := s.now().UTC()
	_, err := s.updateUser(ctx, tenantID, userID, func(r *userRecord) error {
		kept := r.RevokedSessions[:0]
		for _, rs := range r.RevokedSessions {
			if rs.Until.After(now) && rs.ID != sessionID {
				kept = append(kept, rs)
			}
		}
		if len(kept) >= MaxRevokedSessions {
			endSessions(r, now)
			return nil
		}
		r.RevokedSessions = append(kept, RevokedSession{ID: sessionID, Until: until.UTC()})
		return nil
	})
	if err == nil {
		s.logger.InfoContext(ctx, "session ended", "tenant", tenantID, "user", userID)
	}
	return err
}

// EndSessions ends every session of a user ("sign out everywhere", or an
// admin ending another user's sessions): session tokens issued before are
// refused from now on, and so are ID tokens of sign-ins before now.
func (s *Service) EndSessions(ctx context.Context, tenantID, userID string) (User, error) {
	now := s.now().UTC()
	u, err := s.updateUser(ctx, tenantID, userID, func(r *userRecord) error {
		endSessions(r, now)
		return nil
	})
	if err == nil {
		s.logger.InfoContext(ctx, "all sessions of the user ended", "tenant", tenantID, "user", userID, "epoch", u.SessionEpoch)
	}
	return u, err
}

func endSessions(r *userRecord, now time.Time) {
	r.SessionEpoch++
	r.SessionsEndedAt = now
	r.RevokedSessions = nil
}

// DeleteUser removes a user and its index entries. Deleting the tenant's
// last enabled admin is errs.Conflict; a missing user is errs.NotFound.
func (s *Service) DeleteUser(ctx context.Context, tenantID, userID string) error {
	u, err := s.GetUser(ctx, tenantID, userID)
	if err != nil {
		return err
	}
	if u.Role == RoleAdmin && !u.Disabled {
		n, err := s.otherActiveAdmins(ctx, tenantID, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.Userf(errs.Conflict, "this is the last admin of the tenant: make another user admin before deleting this one")
		}
	}
	return s.removeUser(ctx, tenantID, userID)
}

// removeUser deletes a user and its index entries in one transaction.
func (s *Service) removeUser(ctx context.Context, tenantID, userID string) error {
	return s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		doc, err := tx.Get(ctx, userKey(tenantID, userID))
		if err != nil {
			return err
		}
		r, err := docstore.Decode[userRecord](doc)
		if err != nil {
			return err
		}
		le, _, err := docstore.Get[loginEntry](ctx, tx, loginKey(r.Email))
		ownsLogin := err == nil && le.TenantID == tenantID && le.UserID == userID
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err := tx.Delete(ctx, userKey(tenantID, userID), docstore.IfVersion(doc.Version)); err != nil {
			return err
		}
		if err := tx.Delete(ctx, emailKey(tenantID, r.Email), docstore.Any); err != nil {
			return err
		}
		if ownsLogin {
			return tx.Delete(ctx, loginKey(r.Email), docstore.Any)
		}
		return nil
	})
}

// BootstrapOption configures Bootstrap.
type BootstrapOption func(*bootstrapConfig)

type bootstrapConfig struct {
	password  string
	adminName string
}

// WithAdminPassword makes Bootstrap use password (e.g. from an environment
// variable) instead of generating one. It is not returned.
func WithAdminPassword(password string) BootstrapOption {
	return func(c *bootstrapConfig) { c.password = password }
}

// WithAdminName sets the admin's display name.
func WithAdminName(name string) BootstrapOption {
	return func(c *bootstrapConfig) { c.adminName = name }
}

type bootstrapRecord struct {
	TenantID string `json:"tenant_id"`
	UserID   string `json:"user_id"`
}

// Bootstrap makes sure a first tenant and its admin exist. On the first
// start it creates both in one transaction and returns created=true and the
// admin's password: generated (BootstrapPasswordLen characters) unless
// WithAdminPassword supplied one, in which case password is empty. The
// generated password is returned only this once; log it where the operator
// sees it, never in structured logs that are shipped. On later starts (and
// when another process won the race) it returns the existing tenant and
// admin, created=false and no password. An adminEmail already used by
// another tenant's user is errs.Conflict.
func (s *Service) Bootstrap(ctx context.Context, tenantName, adminEmail string, opts ...BootstrapOption) (tenant Tenant, admin User, password string, created bool, err error) {
	var cfg bootstrapConfig
	for _, o := range opts {
		o(&cfg)
	}
	if t, u, ok, err := s.bootstrapped(ctx); err != nil || ok {
		if ok && !strings.EqualFold(strings.TrimSpace(adminEmail), u.Email) {
			s.logger.WarnContext(ctx, "already bootstrapped with another admin; the configured admin email is ignored", "tenant", t.ID, "user", u.ID)
		}
		return t, u, "", false, err
	}
	name, err := checkName("tenant", tenantName)
	if err != nil {
		return Tenant{}, User{}, "", false, err
	}
	password = cfg.password
	generated := password == ""
	if generated {
		password = GeneratePassword(BootstrapPasswordLen)
	}
	t := Tenant{ID: NewID(TenantIDPrefix), Name: name, CreatedAt: s.now().UTC()}
	u, err := s.newUser(t.ID, NewUser{Email: adminEmail, Name: cfg.adminName, Role: RoleAdmin, Password: password})
	if err != nil {
		return Tenant{}, User{}, "", false, err
	}
	lost := false
	err = s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		lost = false
		if ok, err := exists(ctx, tx, bootstrapKey()); err != nil {
			return err
		} else if ok {
			lost = true
			return nil
		}
		if ok, err := exists(ctx, tx, tenantKey(t.ID)); err != nil {
			return err
		} else if ok {
			return errs.E(errs.Conflict, "tenancy: tenant id collision")
		}
		if err := s.insertUser(ctx, tx, u); err != nil {
			return err
		}
		if _, err := docstore.Put(ctx, tx, tenantKey(t.ID), t, docstore.MustCreate); err != nil {
			return err
		}
		_, err := docstore.Put(ctx, tx, bootstrapKey(), bootstrapRecord{TenantID: t.ID, UserID: u.ID}, docstore.MustCreate)
		return err
	})
	if err == nil && lost {
		t, u, _, err := s.bootstrapped(ctx)
		return t, u, "", false, err
	}
	if err != nil {
		// Another process may have bootstrapped between our read and commit.
		if errs.Is(err, errs.Conflict) {
			if t2, u2, ok, err2 := s.bootstrapped(ctx); err2 == nil && ok {
				return t2, u2, "", false, nil
			}
		}
		return Tenant{}, User{}, "", false, fmt.Errorf("tenancy: bootstrap: %w", err)
	}
	s.logger.InfoContext(ctx, "bootstrapped first tenant and admin", "tenant", t.ID, "user", u.ID, "generated_password", generated)
	if !generated {
		password = ""
	}
	return t, u, password, true, nil
}

// bootstrapped returns what an earlier Bootstrap created, if anything.
func (s *Service) bootstrapped(ctx context.Context) (Tenant, User, bool, error) {
	b, _, err := docstore.Get[bootstrapRecord](ctx, s.store, bootstrapKey())
	if errs.Is(err, errs.NotFound) {
		return Tenant{}, User{}, false, nil
	}
	if err != nil {
		return Tenant{}, User{}, false, fmt.Errorf("tenancy: read bootstrap record: %w", err)
	}
	t, err := s.GetTenant(ctx, b.TenantID)
	if err != nil {
		return Tenant{}, User{}, false, err
	}
	u, err := s.GetUser(ctx, b.TenantID, b.UserID)
	if err != nil {
		return Tenant{}, User{}, false, err
	}
	return t, u, true, nil
}

// EnsureTenant makes sure the tenant id exists (named name) and has an
// active admin with adminEmail, for a deployment that serves one fixed
// tenant (the cloud: B2B_TENANT_ID, one project per tenant). It creates what
// is missing in one transaction and changes nothing that exists, so it can
// run again: created reports whether anything was written. The admin has no
// password (cloud users sign in with Identity Platform under this email).
// An adminEmail used by another tenant's user is errs.Conflict; one that is
// a non-admin or disabled user of this tenant is errs.Conflict too (the
// operator decides, in the web app, what to do with that user).
func (s *Service) EnsureTenant(ctx context.Context, id, name, adminEmail string) (tenant Tenant, admin User, created bool, err error) {
	if !validFixedID(id) {
		return Tenant{}, User{}, false, errs.Fieldf(errs.Invalid, "tenant", "%q cannot be a tenant id: use 1 to 63 lower-case letters, digits, dashes and underscores", id)
	}
	if name, err = checkName("tenant", name); err != nil {
		return Tenant{}, User{}, false, err
	}
	nu, err := s.newUser(id, NewUser{Email: adminEmail, Role: RoleAdmin})
	if err != nil {
		return Tenant{}, User{}, false, err
	}
	err = s.store.RunTx(ctx, func(ctx context.Context, tx docstore.Tx) error {
		created = false
		t, _, err := docstore.Get[Tenant](ctx, tx, tenantKey(id))
		newTenant := errs.Is(err, errs.NotFound)
		if err != nil && !newTenant {
			return err
		}
		if newTenant {
			t = Tenant{ID: id, Name: name, CreatedAt: s.now().UTC()}
		}
		e, _, err := docstore.Get[emailEntry](ctx, tx, emailKey(id, nu.Email))
		switch {
		case err == nil:
			r, _, err := docstore.Get[userRecord](ctx, tx, userKey(id, e.UserID))
			if err != nil {
				return err
			}
			if u := r.user(); u.Role != RoleAdmin || u.Disabled {
				return errs.Userf(errs.Conflict, "%s is a user of this tenant who is not an active admin: make them admin in the web app, or bootstrap with another email", u.Email)
			}
			admin = r.user()
		case errs.Is(err, errs.NotFound):
			if err := s.insertUser(ctx, tx, nu); err != nil {
				return err
			}
			admin, created = nu, true
		default:
			return err
		}
		tenant = t
		if newTenant {
			created = true
			if _, err := docstore.Put(ctx, tx, tenantKey(id), t, docstore.MustCreate); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Tenant{}, User{}, false, fmt.Errorf("tenancy: ensure tenant %s: %w", id, err)
	}
	if created {
		s.logger.InfoContext(ctx, "tenant and admin ensured", "tenant", id, "user", admin.ID)
	}
	return tenant, admin, created, nil
}

// validFixedID reports whether a tenant id chosen by an operator is safe in
// bucket names, paths and document keys (the rule of platform.ValidTenantID).
func validFixedID(id string) bool {
	if id == "" || len(id) > 63 || id == SystemTenant {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return checkID("tenant", id) == nil
}
