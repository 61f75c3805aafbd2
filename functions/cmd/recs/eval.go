package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"strings"
	"text/tabwriter"

	"github.com/b2brecs/b2brecs/shared/recsys/models"
	"github.com/b2brecs/b2brecs/shared/recsys/protocol"
)

// runEval is `recs eval`: train and evaluate models on a protocol, one line
// per model (JSON with -json).
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recs eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataPath := fs.String("data", "sample-data/uci_online_retail/online_retail.csv.gz", "order-line file (CSV, optionally gzip-compressed)")
	proto := fs.String("protocol", "or-temporal", "evaluation protocol (or-temporal)")
	split := fs.String("split", "", "split date YYYY-MM-DD (default: the protocol's, 2011-11-01)")
	list := fs.String("models", "all", "comma-separated model specs name[:key=value,...], or all")
	asJSON := fs.Bool("json", false, "print one JSON object per model and line")
	asMarkdown := fs.Bool("markdown", false, "print a Markdown table (for BENCHMARKS.md)")
	seed := fs.Uint64("seed", 1, "random seed")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: recs eval [-data file] [-protocol or-temporal] [-split YYYY-MM-DD] [-models specs|all] [-json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	req := protocol.Request{Data: *dataPath, Protocol: *proto, Split: *split, Models: models.SplitSpecs(*list), Seed: *seed}
	if !*quiet {
		req.Progress = func(model, step string) { fmt.Fprintf(stderr, "%s: %s\n", model, step) }
	}
	var tw *tabwriter.Writer
	if *asMarkdown {
		fmt.Fprintln(stdout, "| model | recall@10 | recall@50 | recall@100 | new_recall@100 | ndcg@10 | users | train s | peak MB |")
		fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|")
	} else if !*asJSON {
		tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "model\trecall@10\trecall@50\trecall@100\tnew_recall@100\tndcg@10\tusers\ttrain s\tpeak MB\t")
		defer tw.Flush()
	}
	enc := json.NewEncoder(stdout)
	return protocol.Run(ctx, req, func(l protocol.Line) error {
		if *asJSON {
			return enc.Encode(l)
		}
		if *asMarkdown {
			_, err := fmt.Fprintf(stdout, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %d | %.1f | %.0f |\n", l.Model, l.Recall10, l.Recall50,
				l.Recall100, l.NewRecall100, l.NDCG10, l.Users, l.TrainSeconds, l.PeakRSSMB)
			return err
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.1f\t%.0f\t\n", l.Model, l.Recall10, l.Recall50, l.Recall100,
			l.NewRecall100, l.NDCG10, l.Users, l.TrainSeconds, l.PeakRSSMB)
		return tw.Flush()
	})
}

// subcommand returns the subcommand named by the arguments ("" for the platform).
func subcommand(args []string) (string, []string) {
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || strings.TrimLeft(args[0], "-") == "h" || strings.TrimLeft(args[0], "-") == "help") {
		return args[0], args[1:]
	}
	return "", args
}
