// Package localsecrets is the local secrets driver: an encrypted store in a
// folder, registered as scheme "local" (local:///abs/dir or local://./rel/dir).
//
// Layout:
//
//	<dir>/master.key              32 random bytes, mode 0600, created on first use
//	<dir>/<tenant>/<name>.secret  JSON: every version of one secret
//
// Each version is sealed with AES-256-GCM under the master key, with a fresh
// random 96-bit nonce and the tenant, name and version number as additional
// data, so a file copied to another tenant or name does not decrypt. Files are
// written to a temporary file and renamed into place. Put adds a version, Get
// returns the latest, Delete removes the file with all versions.
//
// The store refuses a master key file that group or others may access
// (errs.Permission). It serialises writers within one process; do not share a
// folder between processes that write at the same time.
package localsecrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/registry"
	"github.com/b2brecs/b2brecs/shared/secrets"
)

// Scheme is the URL scheme of this driver.
const Scheme = "local"

// KeyFile is the name of the master key file inside the store's folder.
const KeyFile = "master.key"

const (
	keyLen    = 32
	fileExt   = ".secret"
	aadPrefix = "b2brecs/localsecrets/v1"
)

func init() {
	secrets.Register(Scheme, func(ctx context.Context, u *url.URL) (secrets.Driver, error) {
		if u.RawQuery != "" {
			return nil, errs.E(errs.Invalid, "localsecrets: %s: no query parameters are supported", u.Redacted())
		}
		dir := registry.LocalPath(u)
		if dir == "" {
			return nil, errs.E(errs.Invalid, "localsecrets: %s: no folder in URL", u.Redacted())
		}
		return Open(ctx, dir)
	})
}

// Store is a local encrypted secret store. It implements secrets.Driver.
type Store struct {
	dir  string
	aead cipher.AEAD

	mu sync.Mutex // serialises writers
}

var _ secrets.Driver = (*Store)(nil)

// Open opens the store in dir, creating the folder (0700) and the master key
// (0600) if they do not exist.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, openErr(fsErr(err, "localsecrets: create folder %s", dir), dir)
	}
	key, err := loadOrCreateKey(ctx, filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, openErr(err, dir)
	}
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "localsecrets: master key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "localsecrets: master key")
	}
	return &Store{dir: dir, aead: aead}, nil
}

// loadOrCreateKey reads the master key, creating it first if it is missing.
// Creation writes a temporary file and links it into place, so a reader never
// sees a half-written key and two processes starting at once agree on one key.
func loadOrCreateKey(ctx context.Context, path string) ([]byte, error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if err := createKey(ctx, path); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fsErr(err, "localsecrets: open master key %s", path)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fsErr(err, "localsecrets: stat master key %s", path)
	}
	if !fi.Mode().IsRegular() {
		return nil, errs.E(errs.Invalid, "localsecrets: master key %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, errs.E(errs.Permission, "localsecrets: master key %s has mode %#o: group or others may access it; run chmod 600", path, perm)
	}
	key := make([]byte, keyLen+1)
	n, err := io.ReadFull(f, key)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fsErr(err, "localsecrets: read master key %s", path)
	}
	if n != keyLen {
		clear(key)
		return nil, errs.E(errs.Invalid, "localsecrets: master key %s must be exactly %d bytes", path, keyLen)
	}
	return key[:keyLen], nil
}

func createKey(ctx context.Context, path string) error {
	key := make([]byte, keyLen)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return errs.Wrap(errs.Transient, err, "localsecrets: generate master key")
	}
	tmp, err := writeTemp(filepath.Dir(path), ".master-key-*.tmp", key)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // another process created it first; use theirs
		}
		return fsErr(err, "localsecrets: install master key %s", path)
	}
	slog.InfoContext(ctx, "localsecrets: created master key", "path", path)
	return nil
}

// writeTemp writes data to a new 0600 temporary file in dir, synced, and
// returns its path.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern) // CreateTemp uses mode 0600
	if err != nil {
		return "", fsErr(err, "localsecrets: create temporary file in %s", dir)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fsErr(err, "localsecrets: write temporary file in %s", dir)
	}
	return f.Name(), nil
}

// file is the on-disk form of one secret.
type file struct {
	Versions []version `json:"versions"`
}

type version struct {
	Version    int       `json:"version"`
	Created    time.Time `json:"created"`
	Nonce      []byte    `json:"nonce"`
	Ciphertext []byte    `json:"ciphertext"`
}

func aad(tenant, name string, v int) []byte {
	return []byte(aadPrefix + "\x00" + tenant + "\x00" + name + "\x00" + strconv.Itoa(v))
}

func (s *Store) path(tenant, name string) string {
	return filepath.Join(s.dir, tenant, name+fileExt)
}

// check guards the file path built from tenant and name (secrets.Store
// checked them already; the path must never leave the folder whoever
// calls).
func (s *Store) check(tenant, name string) error {
	return secrets.CheckNames(tenant, name)
}

// read loads a secret's file; a missing file is errs.NotFound.
func (s *Store) read(tenant, name string) (*file, error) {
	data, err := os.ReadFile(s.path(tenant, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(errs.NotFound, "localsecrets: secret %s/%s not found", tenant, name)
	}
	if err != nil {
		return nil, fsErr(err, "localsecrets: read secret %s/%s", tenant, name)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, errs.E(errs.Invalid, "localsecrets: secret file for %s/%s is corrupt", tenant, name)
	}
	if len(f.Versions) == 0 {
		return nil, errs.E(errs.NotFound, "localsecrets: secret %s/%s has no versions", tenant, name)
	}
	return &f, nil
}

// Get returns the latest version of the secret.
func (s *Store) Get(ctx context.Context, tenant, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(tenant, name); err != nil {
		return nil, err
	}
	f, err := s.read(tenant, name)
	if err != nil {
		return nil, err
	}
	v := f.Versions[len(f.Versions)-1]
	if len(v.Nonce) != s.aead.NonceSize() {
		return nil, errs.E(errs.Invalid, "localsecrets: secret %s/%s version %d is corrupt", tenant, name, v.Version)
	}
	plain, err := s.aead.Open(nil, v.Nonce, v.Ciphertext, aad(tenant, name, v.Version))
	if err != nil {
		// Do not wrap: the cause says nothing useful and nothing secret.
		return nil, errs.E(errs.Permission, "localsecrets: cannot decrypt secret %s/%s version %d (wrong master key, or the file was altered or moved)", tenant, name, v.Version)
	}
	return plain, nil
}

// Versions reports how many versions of the secret are kept.
func (s *Store) Versions(ctx context.Context, tenant, name string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(tenant, name); err != nil {
		return 0, err
	}
	f, err := s.read(tenant, name)
	if err != nil {
		return 0, err
	}
	return len(f.Versions), nil
}

// Put adds a new version of the secret.
func (s *Store) Put(ctx context.Context, tenant, name string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(tenant, name); err != nil {
		return err
	}
	f, err := s.read(tenant, name)
	if errs.Is(err, errs.NotFound) {
		f, err = &file{}, nil
	}
	if err != nil {
		return err
	}
	next := 1
	if n := len(f.Versions); n > 0 {
		next = f.Versions[n-1].Version + 1
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return errs.Wrap(errs.Transient, err, "localsecrets: random nonce")
	}
	f.Versions = append(f.Versions, version{
		Version:    next,
		Created:    time.Now().UTC(),
		Nonce:      nonce,
		Ciphertext: s.aead.Seal(nil, nonce, value, aad(tenant, name, next)),
	})
	data, err := json.Marshal(f)
	if err != nil {
		return errs.Wrap(errs.Unknown, err, "localsecrets: encode secret %s/%s", tenant, name)
	}
	tdir := filepath.Join(s.dir, tenant)
	if err := os.MkdirAll(tdir, 0o700); err != nil {
		return fsErr(err, "localsecrets: create folder for tenant %s", tenant)
	}
	// Temporary names start with '.', which no secret name can, so they never
	// collide with a secret file.
	tmp, err := writeTemp(tdir, "."+name+".*.tmp", data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path(tenant, name)); err != nil {
		os.Remove(tmp)
		return fsErr(err, "localsecrets: store secret %s/%s", tenant, name)
	}
	return syncDir(tdir)
}

// Delete removes the secret and all its versions; a missing secret is not an
// error.
func (s *Store) Delete(ctx context.Context, tenant, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(tenant, name); err != nil {
		return err
	}
	err := os.Remove(s.path(tenant, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fsErr(err, "localsecrets: delete secret %s/%s", tenant, name)
	}
	return nil
}

// Close releases nothing (the store holds no open files); the
// secrets.Store in front of it refuses calls after Close.
func (s *Store) Close() error { return nil }

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fsErr(err, "localsecrets: open folder %s", dir)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fsErr(err, "localsecrets: sync folder %s", dir)
	}
	return nil
}

// fsErr adds the operation to a file system error for the logs; the
// secrets.Store gives it its kind (ErrorKind), and Open through openErr.
func fsErr(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// openErr gives an error of Open its kind (fsKind): Open runs before there
// is a secrets.Store to classify it. An error with a kind is kept.
func openErr(err error, dir string) error {
	if errs.KindOf(err) != errs.Unknown {
		return err
	}
	return errs.Wrap(fsKind(err), err, "localsecrets: open %s", dir)
}

// fsKind classifies a file system error.
func fsKind(err error) errs.Kind {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return errs.Permission
	case errors.Is(err, fs.ErrNotExist):
		return errs.NotFound
	}
	return errs.Unknown
}

// ErrorKind implements secrets.Driver.
func (s *Store) ErrorKind(err error) errs.Kind { return fsKind(err) }
