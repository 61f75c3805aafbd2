package etl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// RunRejects returns the first rejected rows of a run of the tenant (at
// most limit) from its rejects file, and how many rows the run rejected in
// all.
func (s *Service) RunRejects(ctx context.Context, tenant, runID string, limit int) ([]Reject, int64, error) {
	const op errs.Op = "etl.RunRejects"
	run, err := s.GetRun(ctx, tenant, runID)
	if err != nil {
		return nil, 0, errs.At(op, err)
	}
	out := []Reject{}
	if run.RejectsObject == "" || run.RowsRejected == 0 {
		return out, run.RowsRejected, nil
	}
	b, err := s.res.Bucket(ctx, tenant, BucketStaging)
	if err != nil {
		return nil, 0, errs.At(op, err)
	}
	rd, err := b.NewReader(ctx, run.RejectsObject, nil)
	if err != nil {
		return nil, 0, blobstore.Wrap(err, "rejects of run %s", run.ID)
	}
	defer rd.Close()
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for len(out) < limit && sc.Scan() {
		var rej Reject
		if json.Unmarshal(sc.Bytes(), &rej) == nil {
			out = append(out, rej)
		}
	}
	return out, run.RowsRejected, nil
}

// RejectsFormat is a download format of a run's rejected rows.
type RejectsFormat string

// Download formats of rejected rows.
const (
	// RejectsCSV is a CSV file with a header line: line, column, reason,
	// raw (the row as read).
	RejectsCSV RejectsFormat = "csv"
	// RejectsJSONL is the rejects file as stored: one JSON object per
	// rejected row with the same fields.
	RejectsJSONL RejectsFormat = "jsonl"
)

// RejectsFile is a run's rejected rows opened for download: write it
// with WriteTo, then Close it.
type RejectsFile struct {
	// Name is the file name to offer ("<run>-rejects.csv").
	Name        string
	ContentType string
	format      RejectsFormat
	rd          io.ReadCloser // nil: the run rejected no row
}

// OpenRejects opens the whole rejects file of a run of the tenant for
// download in format ("" is CSV). A run that rejected nothing answers an
// empty file (CSV: the header only). The file lives as long as the run
// record (outside the staged parts the bucket's lifecycle removes).
func (s *Service) OpenRejects(ctx context.Context, tenant, runID string, format RejectsFormat) (*RejectsFile, error) {
	const op errs.Op = "etl.OpenRejects"
	if format == "" {
		format = RejectsCSV
	}
	f := &RejectsFile{format: format, Name: runID + "-rejects." + string(format)}
	switch format {
	case RejectsCSV:
		f.ContentType = "text/csv; charset=utf-8"
	case RejectsJSONL:
		f.ContentType = "application/x-ndjson"
	default:
		return nil, errs.Fieldf(errs.Invalid, "format", "rejected rows download as csv or jsonl, not %q", format)
	}
	run, err := s.GetRun(ctx, tenant, runID)
	if err != nil {
		return nil, errs.At(op, err)
	}
	f.Name = run.ID + "-rejects." + string(format)
	if run.RejectsObject == "" || run.RowsRejected == 0 {
		return f, nil
	}
	b, err := s.res.Bucket(ctx, tenant, BucketStaging)
	if err != nil {
		return nil, errs.At(op, err)
	}
	if f.rd, err = b.NewReader(ctx, run.RejectsObject, nil); err != nil {
		return nil, errs.Explain(blobstore.Wrap(err, "etl: rejects of run %s", run.ID), "the rejected rows of this run are no longer stored")
	}
	return f, nil
}

// WriteTo streams the rejected rows to w in the file's format.
func (f *RejectsFile) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	if f.format == RejectsJSONL {
		if f.rd == nil {
			return 0, nil
		}
		_, err := io.Copy(cw, f.rd)
		return cw.n, err
	}
	out := csv.NewWriter(cw)
	if err := out.Write([]string{"line", "column", "reason", "raw"}); err != nil {
		return cw.n, err
	}
	if f.rd != nil {
		br := bufio.NewReaderSize(f.rd, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				var rej Reject
				if jerr := json.Unmarshal(line, &rej); jerr != nil {
					return cw.n, errs.Wrap(errs.Unknown, jerr, "etl: a line of the rejects file is not JSON")
				}
				if werr := out.Write([]string{strconv.FormatInt(rej.Line, 10), rej.Column, rej.Reason, rej.Raw}); werr != nil {
					return cw.n, werr
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return cw.n, err
			}
		}
	}
	out.Flush()
	return cw.n, out.Error()
}

// Close releases the stored file.
func (f *RejectsFile) Close() error {
	if f.rd == nil {
		return nil
	}
	return f.rd.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
