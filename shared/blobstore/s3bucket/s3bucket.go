// Package s3bucket is the S3 driver of the bucket port (shared/blobstore):
// s3:// URLs with gocloud's parameters (region, endpoint, use_path_style,
// disable_https, request_checksum_calculation, anonymous, profile ...) and
// the buckets of saved S3 connections. The platform links it
// (shared/platform/drivers.go); nothing else imports it.
package s3bucket

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
)

func init() {
	blobstore.Register(blobstore.Driver{
		Scheme:              s3blob.Scheme,
		Open:                blobstore.OpenWithGocloud,
		Provider:            blobstore.ProviderS3,
		OpenWithCredentials: openWithCredentials,
	})
}

// openWithCredentials opens a saved connection's bucket with its access
// key (anonymously without one), every request dialled through
// c.Transport; an Endpoint is an S3-compatible service, addressed by path.
func openWithCredentials(ctx context.Context, c blobstore.Credentials) (*blob.Bucket, error) {
	cfg := aws.Config{Region: c.Region, HTTPClient: &http.Client{Transport: c.RoundTripper()}}
	if c.AccessKeyID != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
	} else {
		cfg.Credentials = aws.AnonymousCredentials{}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			o.UsePathStyle = true
		}
	})
	return s3blob.OpenBucket(ctx, client, c.Bucket, nil)
}
