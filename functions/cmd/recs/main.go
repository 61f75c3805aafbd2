// Command recs is the whole b2brecs platform in one process: every Cloud
// Function mounted over embedded backends (SQLite config, DuckDB warehouse,
// folders as buckets, an in-process event bus and cron), the drop-folder
// watcher, the API and the web app. `make run` starts it.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/platform"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh" // the local warehouse (cgo)
)

func main() {
	switch cmd, args := subcommand(os.Args[1:]); cmd {
	case "":
	case "help", "-h", "-help", "--help":
		fmt.Println("usage: recs            start the whole platform (make run)")
		fmt.Println("       recs eval ...   train and evaluate recommendation models (recs eval -h)")
		fmt.Println("       recs tenant ... set up a deployed tenant (recs tenant -h)")
		return
	case "eval":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := runEval(ctx, args, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			msg := err.Error()
			if errs.HasUserMessage(err) {
				msg = errs.UserMessage(err)
			}
			fmt.Fprintln(os.Stderr, "recs eval:", msg)
			os.Exit(1)
		}
		return
	case "tenant":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := runTenant(ctx, args, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "recs tenant:", errs.UserMessage(err))
			os.Exit(1)
		}
		return
	default:
		fmt.Fprintf(os.Stderr, "recs: unknown command %q (commands: eval, tenant; no command starts the platform)\n", cmd)
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "recs:", err)
		os.Exit(1)
	}
}

func run() error {
	level := slog.LevelInfo
	if os.Getenv("B2B_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log) // one log format for the whole process, drivers included
	cfg := platform.FromEnv()
	s := Settings{
		TenantName:    getenv("B2B_TENANT_NAME", "Demo Seller"),
		AdminEmail:    getenv("B2B_ADMIN_EMAIL", "admin@b2brecs.local"),
		AdminPassword: os.Getenv("B2B_ADMIN_PASSWORD"),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := NewApp(ctx, cfg, s, log)
	if err != nil {
		return err
	}
	if err := app.Start(ctx, cfg.Addr); err != nil {
		_ = app.Close(context.Background())
		return err
	}
	fmt.Printf("\n  b2brecs is running at %s\n", app.URL())
	fmt.Printf("  tenant %q (%s); drop files into %s\n", app.Tenant.Name, app.Tenant.ID, app.DropDir(app.Tenant.ID))
	switch {
	case app.Created && app.Password != "":
		fmt.Printf("  first start: admin %s, password %s  (shown once; save it)\n\n", app.Admin.Email, app.Password)
	case app.Created:
		fmt.Printf("  first start: admin %s, password from B2B_ADMIN_PASSWORD\n\n", app.Admin.Email)
	default:
		fmt.Printf("  sign in as %s (password from the first start)\n\n", app.Admin.Email)
	}
	<-ctx.Done()
	log.Info("recs: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return app.Close(sctx)
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
