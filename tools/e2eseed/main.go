// Command e2eseed puts test data where the browser tests' jobs read it: SQL statements into a
// PostgreSQL database, and blobs into an Azure Blob container (Azurite). It is a test tool
// (scripts/e2e.sh builds it for static/e2e/wizard.e2e.mjs), not part of the platform.
//
//	e2eseed sql  -dsn postgres://... 'CREATE TABLE ...; INSERT ...'
//	e2eseed blob -url http://127.0.0.1:10000/devstoreaccount1 -container c -name k <data
//
// blob creates the container when it is missing and writes stdin to the blob; -account and -key
// default to Azurite's well-known development account.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/jackc/pgx/v5"
)

// Azurite's published development account (not a secret).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "e2eseed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader) error {
	if len(args) == 0 {
		return errors.New("usage: e2eseed sql|blob [flags]")
	}
	switch args[0] {
	case "sql":
		fs := flag.NewFlagSet("sql", flag.ContinueOnError)
		dsn := fs.String("dsn", os.Getenv("B2B_POSTGRES_DSN"), "PostgreSQL DSN")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return execSQL(ctx, *dsn, strings.Join(fs.Args(), "\n"))
	case "blob":
		fs := flag.NewFlagSet("blob", flag.ContinueOnError)
		url := fs.String("url", os.Getenv("B2B_AZURITE_BLOB_URL"), "blob service URL")
		account := fs.String("account", azuriteAccount, "storage account")
		key := fs.String("key", azuriteKey, "account key")
		cont := fs.String("container", "", "container (created when missing)")
		name := fs.String("name", "", "blob name")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return putBlob(ctx, strings.TrimRight(*url, "/"), *account, *key, *cont, *name, stdin)
	}
	return fmt.Errorf("unknown command %q (sql or blob)", args[0])
}

func execSQL(ctx context.Context, dsn, sql string) error {
	if dsn == "" || strings.TrimSpace(sql) == "" {
		return errors.New("sql needs -dsn (or B2B_POSTGRES_DSN) and statements")
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

func putBlob(ctx context.Context, url, account, key, cont, name string, data io.Reader) error {
	if url == "" || cont == "" || name == "" {
		return errors.New("blob needs -url (or B2B_AZURITE_BLOB_URL), -container and -name")
	}
	cred, err := container.NewSharedKeyCredential(account, key)
	if err != nil {
		return fmt.Errorf("credential: %w", err)
	}
	cc, err := container.NewClientWithSharedKeyCredential(url+"/"+cont, cred, nil)
	if err != nil {
		return fmt.Errorf("container client: %w", err)
	}
	if _, err := cc.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("create container: %w", err)
	}
	b, err := io.ReadAll(data)
	if err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	if _, err := cc.NewBlockBlobClient(name).UploadBuffer(ctx, b, nil); err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	return nil
}
