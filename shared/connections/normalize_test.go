package connections

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNormalize checks that validation never panics, that accepted values
// are consistent with their type, and that errors never echo a secret.
func FuzzNormalize(f *testing.F) {
	f.Add("postgresql", "db.example.com", 5432, "shop", "", "", "pw-secret-1")
	f.Add("gcs", "", 0, "", "gs://bucket", "exports/", "")
	f.Add("azure_blob", "", 0, "", "https://acct.blob.core.windows.net/c", "", "key-secret")
	f.Add("s3", "", 0, "", "s3://b/x?y=1", "../", "aws-secret")
	f.Add("mysql", "u:p@host", 70000, "", "", "", "")
	f.Fuzz(func(t *testing.T, typ, host string, port int, db, bucket, prefix, secret string) {
		fl := Fields{Name: "n", Type: Type(typ), Host: host, Port: port, Database: db, Username: "u", BucketURL: bucket, Prefix: prefix, Account: "a", Project: "p"}
		sec := Secret{Password: secret, AzureAccountKey: secret, AWSSecretAccessKey: secret}
		if secret != "" {
			fl.AccessKeyID = "AKIA"
		}
		err := normalize(&fl, sec, nil)
		if err != nil {
			if len(secret) >= 8 && strings.Contains(err.Error(), secret) {
				t.Fatalf("error echoes the secret: %v", err)
			}
			return
		}
		switch {
		case fl.Type.IsDatabase():
			if fl.Port < 1 || fl.Port > 65535 || fl.Host == "" || strings.ContainsAny(fl.Host, "/@?# ") {
				t.Fatalf("accepted database fields %+v", fl)
			}
		case fl.Type.IsStorage():
			u, perr := url.Parse(fl.BucketURL)
			want := map[Type]string{GCS: "gs", S3: "s3", AzureBlob: "azblob"}[fl.Type]
			if perr != nil || u.Scheme != want || u.Host == "" || u.User != nil || u.RawQuery != "" || strings.Contains(fl.Prefix, "..") {
				t.Fatalf("accepted bucket %q prefix %q for %s", fl.BucketURL, fl.Prefix, fl.Type)
			}
		}
	})
}
