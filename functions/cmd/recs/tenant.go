package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// runTenant runs `recs tenant SUBCOMMAND`. The one subcommand, bootstrap,
// makes sure a deployed tenant's record and its first admin exist in the
// tenant's config store (Firestore of its project), idempotently: the
// deployment serves one fixed tenant (B2B_TENANT_ID), whose record must
// carry that id, and the admin then signs in with Identity Platform under
// the admin email. scripts/onboard-tenant.sh runs it after terraform apply.
func runTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, rest := subcommand(args)
	switch sub {
	case "bootstrap":
		return runTenantBootstrap(ctx, rest, stdout, stderr)
	case "":
		return errs.Userf(errs.Invalid, "usage: recs tenant bootstrap -project PROJECT -tenant ID -admin EMAIL [-name NAME]")
	default:
		return errs.Userf(errs.Invalid, "unknown tenant command %q (commands: bootstrap)", sub)
	}
}

func runTenantBootstrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recs tenant bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	project := fs.String("project", os.Getenv("B2B_PROJECT"), "the tenant's Google Cloud project (B2B_PROJECT)")
	configURL := fs.String("config-url", os.Getenv("B2B_CONFIG_URL"), "config store URL (B2B_CONFIG_URL; default firestore://PROJECT)")
	tenantID := fs.String("tenant", os.Getenv("B2B_TENANT_ID"), "tenant id: the tenant_id the deployment was made with (B2B_TENANT_ID)")
	name := fs.String("name", "", "tenant display name (default: the tenant id)")
	admin := fs.String("admin", os.Getenv("B2B_ADMIN_EMAIL"), "email of the first admin, who signs in with Identity Platform (B2B_ADMIN_EMAIL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errs.Userf(errs.Invalid, "%v", err)
	}
	if fs.NArg() > 0 {
		return errs.Userf(errs.Invalid, "unexpected arguments %q", fs.Args())
	}
	if *configURL == "" {
		if *project == "" {
			return errs.Userf(errs.Invalid, "name the tenant's project: -project PROJECT (or -config-url)")
		}
		*configURL = "firestore://" + *project
	}
	if *tenantID == "" {
		return errs.Userf(errs.Invalid, "name the tenant: -tenant ID (its tenant_id in Terraform)")
	}
	if strings.TrimSpace(*admin) == "" {
		return errs.Userf(errs.Invalid, "name the first admin: -admin EMAIL")
	}
	if *name == "" {
		*name = *tenantID
	}
	store, err := docstore.Open(ctx, *configURL)
	if err != nil {
		return errs.Explain(err, "cannot open the config store %s: %s", *configURL, errs.UserMessage(err))
	}
	defer store.Close()
	t, u, created, err := tenancy.NewService(store).EnsureTenant(ctx, *tenantID, *name, *admin)
	if err != nil {
		return err
	}
	state := "already there, unchanged"
	if created {
		state = "created"
	}
	fmt.Fprintf(stdout, "tenant %s (%s): %s\n", t.ID, t.Name, state)
	fmt.Fprintf(stdout, "admin %s: signs in with Identity Platform (Google, or email and password) under this email\n", u.Email)
	return nil
}
