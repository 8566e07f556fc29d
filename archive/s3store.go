package archive

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
)

// StoreConfig is the content store a catalogue was created with, kept in
// its meta bucket so that every later command finds it. A catalogue without
// one uses the folder beside it (or --store DIR). Nothing secret is kept:
// the endpoint and credentials come from the environment or the config
// file of the machine that runs kyso (S3Access).
type StoreConfig struct {
	Kind   string `json:"kind"` // "s3"
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
	// LockMode is COMPLIANCE or GOVERNANCE when every object is written
	// with Object Lock retention for RetentionDays; empty for none.
	LockMode      string `json:"lock_mode,omitempty"`
	RetentionDays int    `json:"retention_days,omitempty"`
}

// URL is s3://bucket/prefix.
func (sc StoreConfig) URL() string {
	u := "s3://" + sc.Bucket
	if sc.Prefix != "" {
		u += "/" + strings.TrimSuffix(sc.Prefix, "/")
	}
	return u
}

// ObjectLock is the retention asked for at init.
type ObjectLock struct {
	// Mode is compliance or governance (any case); empty for none.
	Mode string
	// Days is the retention period of each object from its upload.
	Days int
}

// S3Access is how this machine reaches the object store: not part of the
// catalogue, since another machine may reach the same bucket otherwise.
type S3Access struct {
	// Endpoint is host:port or a URL (http:// for a plain-text endpoint).
	// Empty means AWS (s3.amazonaws.com).
	Endpoint string
	Region   string
	// AccessKey, SecretKey and SessionToken are the credentials; kyso
	// takes them from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
	// AWS_SESSION_TOKEN, or from the AWS shared credentials file.
	AccessKey, SecretKey, SessionToken string
	// Profile and CredentialsFile select the shared credentials file when
	// no key is given in the environment.
	Profile, CredentialsFile string
	// Transport replaces the HTTP transport (tests, a custom CA).
	Transport http.RoundTripper
}

// ParseStoreURL reads s3://bucket/prefix. It returns ok=false for anything
// else (a folder).
func ParseStoreURL(s string) (sc StoreConfig, ok bool, err error) {
	if !strings.HasPrefix(s, "s3://") {
		return sc, false, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return sc, true, i18n.Errorf("store %q: expected s3://bucket/prefix", s)
	}
	if u.User != nil || u.RawQuery != "" {
		return sc, true, i18n.Errorf("store %q: expected s3://bucket/prefix, with no credentials or options (they come from the environment)", s)
	}
	sc = StoreConfig{Kind: "s3", Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	return sc, true, nil
}

// s3Store keeps each content as one object, <prefix>/<sha256>.
type s3Store struct {
	cl       *minio.Client
	cfg      StoreConfig
	partSize uint64
	now      func() time.Time
}

// multipartSize is the part size of large uploads; a content smaller than
// it goes in one PUT, whose SHA-256 the server checks against the one kyso
// computed while staging it.
const multipartSize = 16 << 20

func newS3Store(cfg StoreConfig, acc S3Access, now func() time.Time) (*s3Store, error) {
	endpoint, secure := acc.Endpoint, true
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fail.Usagef("S3 endpoint %q: expected host:port, http://host:port or https://host:port", acc.Endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	var creds *credentials.Credentials
	switch {
	case acc.AccessKey != "" || acc.SecretKey != "":
		if acc.AccessKey == "" || acc.SecretKey == "" {
			return nil, fail.Usagef("S3 credentials: both an access key and a secret key are needed")
		}
		creds = credentials.NewStaticV4(acc.AccessKey, acc.SecretKey, acc.SessionToken)
	default:
		creds = credentials.NewFileAWSCredentials(acc.CredentialsFile, acc.Profile)
	}
	cl, err := minio.New(endpoint, &minio.Options{
		Creds:           creds,
		Secure:          secure,
		Region:          acc.Region,
		Transport:       acc.Transport,
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fail.Usage(i18n.Errorf("S3 endpoint %q: %v", acc.Endpoint, err), "")
	}
	if now == nil {
		now = time.Now
	}
	return &s3Store{cl: cl, cfg: cfg, partSize: multipartSize, now: now}, nil
}

func (s *s3Store) key(sum string) string {
	if s.cfg.Prefix == "" {
		return sum
	}
	return strings.TrimSuffix(s.cfg.Prefix, "/") + "/" + sum
}

func (s *s3Store) Location() string             { return s.cfg.URL() }
func (s *s3Store) ObjectName(sum string) string { return "s3://" + s.cfg.Bucket + "/" + s.key(sum) }
func (s *s3Store) Locking() bool                { return s.cfg.LockMode != "" }

func (s *s3Store) fault(op string, err error) error {
	return i18n.Errorf("object store %s: %s: %v", s.Location(), op, err)
}

func isNoSuchKey(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound" || minio.ToErrorResponse(err).StatusCode == http.StatusNotFound
}

// Put uploads unless the object is there. One PUT for small contents, with
// x-amz-checksum-sha256 set to sum so the server refuses bytes that do not
// match, and If-None-Match: * so an object that appeared meanwhile is not
// overwritten. Large contents go in parts, each with its SHA-256 checked
// by the server, while kyso hashes the whole stream and compares it with
// sum at the end. With a lock mode, the object carries its retention from
// the PUT on.
func (s *s3Store) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	if info, err := s.Stat(ctx, sum); err == nil {
		if info.Size != size {
			return s.fault("put "+s.key(sum), i18n.Errorf("an object of %d bytes is already there for this SHA-256 (expected %d bytes); kyso does not overwrite it: check it and the bucket's other writers", info.Size, size))
		}
		return nil
	} else if !errors.Is(err, ErrObjectMissing) {
		return err
	}
	// The payload is not hashed again for the request's signature
	// (UNSIGNED-PAYLOAD): the signed x-amz-checksum-sha256 header, or the
	// parts' checksums, bind the body, and the server checks them.
	opts := minio.PutObjectOptions{ContentType: "application/pdf", PartSize: s.partSize, DisableContentSha256: true}
	if s.cfg.LockMode != "" {
		opts.Mode = minio.RetentionMode(s.cfg.LockMode)
		opts.RetainUntilDate = s.now().UTC().AddDate(0, 0, s.cfg.RetentionDays)
	}
	raw, err := hex.DecodeString(sum)
	if err != nil || len(raw) != sha256.Size {
		return i18n.Errorf("put: bad SHA-256 %q", sum)
	}
	var h hash.Hash
	if size < int64(s.partSize) {
		opts.DisableMultipart = true
		opts.UserMetadata = map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(raw)}
		opts.SetMatchETagExcept("*")
	} else {
		opts.Checksum = minio.ChecksumSHA256
		h = sha256.New()
		r = io.TeeReader(r, h)
	}
	_, err = s.cl.PutObject(ctx, s.cfg.Bucket, s.key(sum), r, size, opts)
	if err != nil && h == nil && minio.ToErrorResponse(err).Code == "NotImplemented" {
		// A server without conditional writes: the HEAD above said the
		// object is not there; send it again without If-None-Match.
		if sk, ok := r.(io.Seeker); ok {
			if _, serr := sk.Seek(0, io.SeekStart); serr == nil {
				opts = minio.PutObjectOptions{ContentType: opts.ContentType, PartSize: opts.PartSize, DisableContentSha256: true,
					DisableMultipart: true, UserMetadata: opts.UserMetadata, Mode: opts.Mode, RetainUntilDate: opts.RetainUntilDate}
				_, err = s.cl.PutObject(ctx, s.cfg.Bucket, s.key(sum), r, size, opts)
			}
		}
	}
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
			// Another writer stored it meanwhile: the same content.
			return nil
		}
		return s.fault("put "+s.key(sum), err)
	}
	if h != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			return s.fault("put "+s.key(sum), i18n.Errorf("the bytes sent have SHA-256 %s: the staged file changed; the object stays unreferenced (audit lists it)", got))
		}
	}
	return nil
}

// Open streams an object.
func (s *s3Store) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	obj, err := s.cl.GetObject(ctx, s.cfg.Bucket, s.key(sum), minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		if isNoSuchKey(err) {
			return nil, i18n.Errorf("object %s: %v", s.ObjectName(sum), ErrObjectMissing)
		}
		return nil, s.fault("get "+s.key(sum), err)
	}
	return obj, nil
}

// Stat reads an object's size and, where the server keeps one for the
// whole object, its SHA-256 checksum.
func (s *s3Store) Stat(ctx context.Context, sum string) (ObjectInfo, error) {
	oi, err := s.cl.StatObject(ctx, s.cfg.Bucket, s.key(sum), minio.StatObjectOptions{Checksum: true})
	if err != nil {
		if isNoSuchKey(err) {
			return ObjectInfo{}, i18n.Errorf("object %s: %v", s.ObjectName(sum), ErrObjectMissing)
		}
		return ObjectInfo{}, s.fault("stat "+s.key(sum), err)
	}
	info := ObjectInfo{SHA256: sum, Size: oi.Size}
	if cs := oi.ChecksumSHA256; cs != "" && !strings.Contains(cs, "-") {
		if b, err := base64.StdEncoding.DecodeString(cs); err == nil && len(b) == sha256.Size {
			info.Checksum = hex.EncodeToString(b)
		}
	}
	return info, nil
}

// List lists <prefix>/<sha256> objects.
func (s *s3Store) List(ctx context.Context, fn func(ObjectInfo) error) error {
	prefix := ""
	if s.cfg.Prefix != "" {
		prefix = strings.TrimSuffix(s.cfg.Prefix, "/") + "/"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range s.cl.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return s.fault("list", oi.Err)
		}
		name := strings.TrimPrefix(oi.Key, prefix)
		if !isSHA256Hex(name) {
			continue
		}
		if err := fn(ObjectInfo{SHA256: name, Size: oi.Size}); err != nil {
			return err
		}
	}
	return nil
}

// Retention reads an object's Object Lock retention from the headers of a
// HEAD request (x-amz-object-lock-mode, -retain-until-date), as S3 returns
// them to a client allowed to read retention; failing that, from
// GetObjectRetention.
func (s *s3Store) Retention(ctx context.Context, sum string) (string, time.Time, error) {
	oi, err := s.cl.StatObject(ctx, s.cfg.Bucket, s.key(sum), minio.StatObjectOptions{})
	if err != nil {
		if isNoSuchKey(err) {
			return "", time.Time{}, i18n.Errorf("object %s: %v", s.ObjectName(sum), ErrObjectMissing)
		}
		return "", time.Time{}, s.fault("stat "+s.key(sum), err)
	}
	if m := oi.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "" {
		until, err := time.Parse(time.RFC3339, oi.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
		if err != nil {
			return m, time.Time{}, s.fault("retention of "+s.key(sum), i18n.Errorf("retain-until date: %v", err))
		}
		return strings.ToUpper(m), until, nil
	}
	mode, until, err := s.cl.GetObjectRetention(ctx, s.cfg.Bucket, s.key(sum), "")
	if err != nil {
		code := minio.ToErrorResponse(err).Code
		if code == "NoSuchObjectLockConfiguration" || code == "ObjectLockConfigurationNotFoundError" {
			return "", time.Time{}, nil
		}
		return "", time.Time{}, s.fault("retention of "+s.key(sum), err)
	}
	m := ""
	if mode != nil {
		m = string(*mode)
	}
	var t time.Time
	if until != nil {
		t = *until
	}
	return m, t, nil
}

// prepare checks, at init, that the bucket exists and that it has Object
// Lock when retention is asked for. Without a mode, a bucket whose default
// retention is set gives its mode and period to the catalogue, so audit
// checks them.
func (s *s3Store) prepare(ctx context.Context, lock ObjectLock) error {
	ok, err := s.cl.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return fail.Run(s.fault("checking the bucket", err), "check KYSO_S3_ENDPOINT, the region and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	}
	if !ok {
		return fail.Usage(i18n.Errorf("object store: bucket %s does not exist", s.cfg.Bucket),
			"create it first (with object lock enabled for immutable objects); kyso does not create buckets")
	}
	enabled, mode, validity, unit, err := s.cl.GetObjectLockConfig(ctx, s.cfg.Bucket)
	locked := err == nil && enabled == "Enabled"
	switch {
	case lock.Mode != "":
		m := strings.ToUpper(lock.Mode)
		if m != "COMPLIANCE" && m != "GOVERNANCE" {
			return fail.UsageWith(i18n.Errorf("object lock mode %q: expected compliance or governance", lock.Mode), fail.RemedyObjectLockMode)
		}
		if lock.Days <= 0 {
			return fail.UsageWith(i18n.Errorf("object lock needs a retention period of at least one day"), fail.RemedyRetentionDays)
		}
		if !locked {
			return fail.UsageWith(i18n.Errorf("object store: bucket %s has no Object Lock, so objects cannot be retained", s.cfg.Bucket),
				fail.RemedyNoObjectLock)
		}
		s.cfg.LockMode, s.cfg.RetentionDays = m, lock.Days
	case locked && mode != nil && validity != nil && unit != nil:
		days := int(*validity)
		if *unit == minio.Years {
			days *= 365
		}
		s.cfg.LockMode, s.cfg.RetentionDays = string(*mode), days
	}
	return nil
}

// keyStore in the meta bucket holds the catalogue's StoreConfig; absent for
// a folder store.
var keyStore = []byte("store")

// stagingSuffix names the folder beside the catalogue where files for an
// object store are copied, hashed, fsynced and verified before upload.
const stagingSuffix = ".staging"

// useS3 makes the catalogue's contents live in the object store cfg, with
// a staging folder beside the catalogue.
func (c *Catalogue) useS3(cfg StoreConfig) (*s3Store, error) {
	s3, err := newS3Store(cfg, c.opts.S3, c.opts.Now)
	if err != nil {
		return nil, err
	}
	c.store = store{dir: c.path + stagingSuffix}
	c.objects = s3
	return s3, nil
}

// loadStoreConfig opens the object store a catalogue was created with.
func (c *Catalogue) loadStoreConfig(m *bolt.Bucket) error {
	raw := m.Get(keyStore)
	given, givenRemote, err := ParseStoreURL(c.opts.StorePath)
	if err != nil {
		return fail.Usage(err, "")
	}
	if raw == nil {
		if givenRemote {
			return fail.UsageWith(i18n.Errorf("catalogue %s keeps its contents in a folder, not in %s", c.path, given.URL()),
				fail.RemedyStoreAtInit)
		}
		return nil
	}
	var cfg StoreConfig
	if err := jsonUnmarshal(raw, &cfg); err != nil {
		return i18n.Errorf("catalogue %s: store configuration: %v", c.path, err)
	}
	if cfg.Kind != "s3" {
		return fail.Runf("catalogue %s: unknown content store kind %q: a newer kyso wrote it", c.path, cfg.Kind)
	}
	if (givenRemote && given.URL() != cfg.URL()) || (!givenRemote && c.opts.StorePath != c.path+".store") {
		return fail.UsageWith(i18n.Errorf("catalogue %s keeps its contents in %s, not in %s", c.path, cfg.URL(), c.opts.StorePath),
			fail.RemedyLeaveStore)
	}
	_, err = c.useS3(cfg)
	return err
}

// checkStoreConfig refuses to init a catalogue again with another store.
func checkStoreConfig(m *bolt.Bucket, path string, want StoreConfig, remote bool) error {
	raw := m.Get(keyStore)
	if raw == nil {
		if remote && m.Get(keyUnit) != nil {
			return fail.Usage(i18n.Errorf("catalogue %s exists and keeps its contents in a folder", path),
				"an object store is chosen when a catalogue is created: init a new catalogue and import an export of this one into it")
		}
		return nil
	}
	var have StoreConfig
	if err := jsonUnmarshal(raw, &have); err != nil {
		return err
	}
	if !remote || have.URL() != want.URL() {
		return fail.UsageWith(i18n.Errorf("catalogue %s exists and keeps its contents in %s", path, have.URL()), fail.RemedySameStore)
	}
	return nil
}

// StoreConfig returns the catalogue's object store configuration, or nil
// for a folder store.
func (c *Catalogue) StoreConfig() *StoreConfig {
	if s, ok := c.objects.(*s3Store); ok {
		cfg := s.cfg
		return &cfg
	}
	return nil
}
