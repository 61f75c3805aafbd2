package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/jackc/pgx/v5"

	"github.com/b2brecs/b2brecs/shared/testenv"
)

func TestSQL(t *testing.T) {
	dsn := testenv.Require(t, testenv.Postgres)
	ctx := t.Context()
	table := fmt.Sprintf("e2eseed_%d", time.Now().UnixNano())
	if err := run(ctx, []string{"sql", "-dsn", dsn, "CREATE TABLE " + table + " (id int);", "INSERT INTO " + table + " VALUES (1), (2);"}, nil); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP TABLE "+table) })
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2 rows", n, err)
	}
}

func TestBlob(t *testing.T) {
	url := strings.TrimRight(testenv.Require(t, testenv.Azurite), "/")
	ctx := t.Context()
	name := fmt.Sprintf("e2eseed-%x", time.Now().UnixNano())
	for _, body := range []string{"a,b\n1,2\n", "a,b\n3,4\n"} { // the second write replaces the first; the container exists then
		if err := run(ctx, []string{"blob", "-url", url, "-container", name, "-name", "in/x.csv"}, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	cred, err := container.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := container.NewClientWithSharedKeyCredential(url+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Delete(context.Background(), nil) })
	r, err := cc.NewBlobClient("in/x.csv").DownloadStream(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if string(b) != "a,b\n3,4\n" {
		t.Errorf("blob %q, want the second write", b)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"blob", "-url", "http://x"}, {"sql", "-dsn", ""}} {
		if err := run(t.Context(), args, os.Stdin); err == nil {
			t.Errorf("run(%q) = nil, want a usage error", args)
		}
	}
}
