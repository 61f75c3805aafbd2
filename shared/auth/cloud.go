package auth

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// Google endpoints and issuers.
const (
	// FirebaseJWKSURL serves the keys that sign Identity Platform /
	// Firebase ID tokens.
	FirebaseJWKSURL = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"
	// FirebaseIssuerPrefix + project ID is the iss of those tokens.
	FirebaseIssuerPrefix = "https://securetoken.google.com/"
	// GoogleJWKSURL serves the keys that sign Google OIDC ID tokens
	// (service accounts, Cloud Scheduler and Pub/Sub push).
	GoogleJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"
	// GoogleIssuer is the iss of Google OIDC ID tokens (the form without
	// the scheme is accepted too).
	GoogleIssuer = "https://accounts.google.com"

	// TenantClaim is the optional custom claim (set with the Admin SDK) that
	// names the b2brecs tenant of an Identity Platform user.
	TenantClaim = "b2b_tenant"

	// cloudLeeway absorbs clock skew between Google and us.
	cloudLeeway = time.Minute
)

// UserLookup finds the stored user of a verified e-mail address;
// *tenancy.Service implements it. An unknown address is errs.NotFound.
type UserLookup interface {
	FindUserByEmail(ctx context.Context, email string) (tenancy.User, error)
}

// verifyRS256 parses token into claims and checks its RS256 signature with
// a key of ks, its issuer (before any key is fetched), audience, expiry and
// issue time. Failures are errs.Unauthenticated, or errs.Transient when the
// keys could not be fetched.
func verifyRS256(ctx context.Context, token string, claims jwt.Claims, ks *keySet, now func() time.Time, issuerOK func(string) bool, audiences []string) error {
	var keyErr error
	_, err := jwt.ParseWithClaims(token, claims,
		func(t *jwt.Token) (any, error) {
			if iss, _ := t.Claims.GetIssuer(); !issuerOK(iss) {
				keyErr = unauthenticated("auth: ID token has the wrong issuer")
				return nil, keyErr
			}
			kid, _ := t.Header["kid"].(string)
			if kid == "" {
				keyErr = unauthenticated("auth: ID token has no key ID")
				return nil, keyErr
			}
			k, err := ks.key(ctx, kid)
			if err != nil {
				keyErr = err
				return nil, err
			}
			return k, nil
		},
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithAudience(audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cloudLeeway),
		jwt.WithTimeFunc(now),
	)
	if err == nil {
		if iss, _ := claims.GetIssuer(); !issuerOK(iss) { // belt and braces
			return unauthenticated("auth: ID token has the wrong issuer")
		}
		return nil
	}
	if keyErr != nil {
		return keyErr
	}
	return tokenRefused("auth: ID token", err)
}

// IDTokenConfig configures an IDTokenVerifier.
type IDTokenConfig struct {
	// ProjectID is the Google Cloud project of the Identity Platform
	// instance: the tokens' audience, and the issuer's suffix. Required.
	ProjectID string
	// Users maps a verified e-mail to a stored user. Required.
	Users UserLookup
	// FirebaseTenants, when set, maps Identity Platform tenant IDs (the
	// token's firebase.tenant) to b2brecs tenant IDs; a token from an
	// unmapped Identity Platform tenant, or mapped to another tenant than
	// the user's, is refused. When nil the firebase.tenant claim is ignored.
	FirebaseTenants map[string]string
	// AllowUnverifiedEmail accepts tokens whose email_verified is false.
	// Leave it off unless every sign-in provider proves address ownership:
	// users are matched by e-mail.
	AllowUnverifiedEmail bool
	// JWKSURL defaults to FirebaseJWKSURL.
	JWKSURL string
	// HTTPClient fetches the keys (default: a client with a 10 s timeout).
	HTTPClient *http.Client
	// MinRefresh defaults to DefaultMinRefresh.
	MinRefresh time.Duration
	// Now defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// IDTokenVerifier verifies Identity Platform / Firebase ID tokens and maps
// them to stored tenancy users by e-mail; the role comes from the stored
// user.
type IDTokenVerifier struct {
	cfg    IDTokenConfig
	issuer string
	keys   *keySet
}

// NewIDTokenVerifier checks cfg and returns a verifier. Keys are fetched on
// first use.
func NewIDTokenVerifier(cfg IDTokenConfig) (*IDTokenVerifier, error) {
	if cfg.ProjectID == "" {
		return nil, errs.E(errs.Invalid, "auth: IDTokenConfig.ProjectID is required")
	}
	if cfg.Users == nil {
		return nil, errs.E(errs.Invalid, "auth: IDTokenConfig.Users is required")
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = FirebaseJWKSURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &IDTokenVerifier{
		cfg:    cfg,
		issuer: FirebaseIssuerPrefix + cfg.ProjectID,
		keys:   newKeySet(cfg.JWKSURL, cfg.HTTPClient, cfg.Now, cfg.MinRefresh, cfg.Logger),
	}, nil
}

type firebaseClaims struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	AuthTime      int64  `json:"auth_time"`
	B2BTenant     string `json:"b2b_tenant"`
	Firebase      struct {
		Tenant         string `json:"tenant"`
		SignInProvider string `json:"sign_in_provider"`
	} `json:"firebase"`
	jwt.RegisteredClaims
}

// Verify implements Verifier.
func (v *IDTokenVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	var c firebaseClaims
	if err := verifyRS256(ctx, token, &c, v.keys, v.cfg.Now, func(iss string) bool { return iss == v.issuer }, []string{v.cfg.ProjectID}); err != nil {
		return Principal{}, err
	}
	if c.Subject == "" || len(c.Subject) > 128 {
		return Principal{}, unauthenticated("auth: ID token has an invalid subject")
	}
	if c.Email == "" {
		return Principal{}, unauthenticated("auth: ID token has no email")
	}
	if !c.EmailVerified && !v.cfg.AllowUnverifiedEmail {
		return Principal{}, unauthenticated("auth: ID token email is not verified")
	}
	u, err := v.cfg.Users.FindUserByEmail(ctx, c.Email)
	if errs.Is(err, errs.NotFound) {
		return Principal{}, refused(userNoAccount, "auth: no b2brecs user for this identity")
	}
	if err != nil {
		return Principal{}, err
	}
	if u.Disabled {
		return Principal{}, refused(userDisabled, "auth: account disabled")
	}
	if ended := u.SessionsEndedAt; !ended.IsZero() {
		// Sessions were ended: only a sign-in after that counts (auth_time
		// is when the user signed in; ID tokens refreshed from an older
		// sign-in keep it).
		signedIn := c.AuthTime
		if signedIn == 0 && c.IssuedAt != nil {
			signedIn = c.IssuedAt.Unix()
		}
		if signedIn < ended.Truncate(time.Second).Unix() {
			return Principal{}, refused(userEnded, "auth: ID token from a sign-in before the user's sessions were ended")
		}
	}
	if c.B2BTenant != "" && c.B2BTenant != u.TenantID {
		return Principal{}, unauthenticated("auth: ID token tenant does not match the user's tenant")
	}
	if v.cfg.FirebaseTenants != nil && c.Firebase.Tenant != "" {
		if t, ok := v.cfg.FirebaseTenants[c.Firebase.Tenant]; !ok || t != u.TenantID {
			return Principal{}, unauthenticated("auth: ID token tenant does not match the user's tenant")
		}
	}
	return Principal{TenantID: u.TenantID, UserID: u.ID, Email: u.Email, Role: u.Role, Kind: KindUser}, nil
}

// ServiceTokenConfig configures a ServiceTokenVerifier.
type ServiceTokenConfig struct {
	// Audiences are the accepted aud values: the URL(s) of the function
	// being called. Required.
	Audiences []string
	// AllowedEmails are the service accounts that may call. Required.
	AllowedEmails []string
	// TenantID is the tenant the calls act for (one project per tenant).
	// Required.
	TenantID string
	// Role of the service principal; default editor.
	Role tenancy.Role
	// JWKSURL defaults to GoogleJWKSURL.
	JWKSURL    string
	HTTPClient *http.Client
	MinRefresh time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// ServiceTokenVerifier verifies Google-signed OIDC ID tokens of allowed
// service accounts and returns Principal{Kind: "service"}.
type ServiceTokenVerifier struct {
	cfg     ServiceTokenConfig
	allowed map[string]bool
	keys    *keySet
}

// NewServiceTokenVerifier checks cfg and returns a verifier.
func NewServiceTokenVerifier(cfg ServiceTokenConfig) (*ServiceTokenVerifier, error) {
	cfg.Audiences = slices.DeleteFunc(slices.Clone(cfg.Audiences), func(s string) bool { return s == "" })
	if len(cfg.Audiences) == 0 {
		return nil, errs.E(errs.Invalid, "auth: ServiceTokenConfig.Audiences is required")
	}
	if cfg.TenantID == "" {
		return nil, errs.E(errs.Invalid, "auth: ServiceTokenConfig.TenantID is required")
	}
	allowed := map[string]bool{}
	for _, e := range cfg.AllowedEmails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			allowed[e] = true
		}
	}
	if len(allowed) == 0 {
		return nil, errs.E(errs.Invalid, "auth: ServiceTokenConfig.AllowedEmails is required")
	}
	if cfg.Role == "" {
		cfg.Role = tenancy.RoleEditor
	}
	if !cfg.Role.Valid() {
		return nil, errs.E(errs.Invalid, "auth: ServiceTokenConfig.Role %q is not a role", cfg.Role)
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = GoogleJWKSURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &ServiceTokenVerifier{
		cfg:     cfg,
		allowed: allowed,
		keys:    newKeySet(cfg.JWKSURL, cfg.HTTPClient, cfg.Now, cfg.MinRefresh, cfg.Logger),
	}, nil
}

type googleClaims struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	AuthTime      int64  `json:"auth_time"`
	jwt.RegisteredClaims
}

func googleIssuer(iss string) bool {
	return iss == GoogleIssuer || iss == strings.TrimPrefix(GoogleIssuer, "https://")
}

// Verify implements Verifier.
func (v *ServiceTokenVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	var c googleClaims
	if err := verifyRS256(ctx, token, &c, v.keys, v.cfg.Now, googleIssuer, v.cfg.Audiences); err != nil {
		return Principal{}, err
	}
	email := strings.ToLower(c.Email)
	if email == "" || !c.EmailVerified {
		return Principal{}, unauthenticated("auth: service token has no verified email")
	}
	if !v.allowed[email] {
		return Principal{}, unauthenticated("auth: service account is not allowed")
	}
	return Principal{TenantID: v.cfg.TenantID, UserID: "sa:" + email, Email: email, Role: v.cfg.Role, Kind: KindService}, nil
}
