// Package azurebucket is the Azure Blob driver of the bucket port
// (shared/blobstore): azblob:// URLs and the containers of saved Azure
// connections. The platform links it (shared/platform/drivers.go); nothing
// else imports it.
//
// URL: azblob://container with gocloud's parameters (domain, protocol,
// localemu, storage_account) and environment (AZURE_STORAGE_ACCOUNT,
// AZURE_STORAGE_KEY, AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_DOMAIN,
// AZURE_STORAGE_PROTOCOL, AZURE_STORAGE_IS_LOCAL_EMULATOR). gocloud reads
// that environment once per process, on the first azblob:// Open.
//
// For Azurite: azblob://container?protocol=http&domain=127.0.0.1:10000 with
// AZURE_STORAGE_ACCOUNT=devstoreaccount1 and AZURE_STORAGE_KEY set to its
// well-known key.
package azurebucket

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func init() {
	blobstore.Register(blobstore.Driver{
		Scheme:              azureblob.Scheme,
		Open:                blobstore.OpenWithGocloud,
		Provider:            blobstore.ProviderAzure,
		OpenWithCredentials: openWithCredentials,
		ErrorKind:           ErrorKind,
	})
}

// openWithCredentials opens a saved connection's container with its
// shared key, else its SAS token, every request dialled through
// c.Transport.
func openWithCredentials(ctx context.Context, c blobstore.Credentials) (*blob.Bucket, error) {
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "https://" + c.Account + ".blob.core.windows.net"
	}
	cu := strings.TrimRight(endpoint, "/") + "/" + url.PathEscape(c.Bucket)
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: c.RoundTripper()}}}
	var client *container.Client
	var err error
	if c.AccountKey != "" {
		cred, cerr := container.NewSharedKeyCredential(c.Account, c.AccountKey)
		if cerr != nil {
			return nil, errs.E(errs.Invalid, "the Azure account key is not valid base64")
		}
		client, err = container.NewClientWithSharedKeyCredential(cu, cred, opts)
	} else {
		client, err = container.NewClientWithNoCredential(cu+"?"+strings.TrimPrefix(c.SASToken, "?"), opts)
	}
	if err != nil {
		return nil, errs.E(errs.Invalid, "the Azure container URL or SAS token is not valid")
	}
	return azureblob.OpenBucket(ctx, client, nil)
}

// ErrorKind classifies an Azure response error by its HTTP status, which
// gocloud leaves without a portable code.
func ErrorKind(err error) errs.Kind {
	var azErr *azcore.ResponseError
	if errors.As(err, &azErr) {
		return blobstore.StatusKind(azErr.StatusCode)
	}
	return errs.Unknown
}
