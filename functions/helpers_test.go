package functions

import (
	"io"
	"log/slog"
	"strings"
)

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
