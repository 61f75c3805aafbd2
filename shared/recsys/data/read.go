package data

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Columns names the columns of an order-line file. Customer, Product and
// Time are required; the others may be empty.
type Columns struct {
	Customer, Product, Time, Invoice, Quantity, Price, Country string
	// TimeLayouts are tried in order; empty means DefaultTimeLayouts.
	TimeLayouts []string
}

// DefaultTimeLayouts returns the date-time layouts tried when Columns gives none.
func DefaultTimeLayouts() []string {
	return []string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02", "1/2/2006 15:04", "1/2/2006 15:04:05"}
}

// RetailColumns returns the column names of the UCI Online Retail file.
func RetailColumns() Columns {
	return Columns{
		Customer: "CustomerID", Product: "StockCode", Time: "InvoiceDate", Invoice: "InvoiceNo",
		Quantity: "Quantity", Price: "UnitPrice", Country: "Country",
	}
}

// Row is one raw line as read from a file, before cleaning.
type Row struct {
	Line                                               int // 1-based line in the file (the header is line 1)
	Customer, Product, Invoice, Country, Time, Qty, Pr string
}

// ReadFile reads order lines from a CSV file (gzip-compressed when the name
// ends in .gz), keeping the lines the rules accept. It returns the log and
// how many lines the rules dropped.
func ReadFile(ctx context.Context, path string, cols Columns, rules Rules) (*Log, Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, Stats{}, errs.Userf(errs.NotFound, "the interactions file %s does not exist", path)
		}
		return nil, Stats{}, errs.WrapField(errs.Invalid, err, "", "could not open the interactions file %s", path)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, Stats{}, errs.WrapField(errs.Invalid, err, "", "%s is not a valid gzip file", path)
		}
		defer gz.Close()
		r = gz
	}
	return ReadCSV(ctx, r, cols, rules)
}

// ReadCSV reads order lines from CSV text with a header line.
func ReadCSV(ctx context.Context, r io.Reader, cols Columns, rules Rules) (*Log, Stats, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, Stats{}, errs.WrapField(errs.Invalid, err, "", "the interactions file has no header line")
	}
	names := make([]string, len(head))
	for i, h := range head {
		names[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	ci, err := cols.resolve(names, "file")
	if err != nil {
		return nil, Stats{}, err
	}
	get := func(rec []string, i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	b := newBuilder(cols, rules)
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, b.st, errs.Userf(errs.Invalid, "line %d of the interactions file is not valid CSV: %v", pe.Line, pe.Err)
			}
			return nil, b.st, errs.WrapField(errs.Invalid, err, "", "could not read line %d of the interactions file", line)
		}
		if line%65536 == 0 && ctx.Err() != nil {
			return nil, b.st, ctx.Err()
		}
		b.add(Row{Line: line, Customer: get(rec, ci[0]), Product: get(rec, ci[1]), Time: get(rec, ci[2]),
			Invoice: get(rec, ci[3]), Qty: get(rec, ci[4]), Pr: get(rec, ci[5]), Country: get(rec, ci[6])})
	}
	return b.log, b.st, nil
}

// resolve finds the column of each role among names (exact match first,
// then ignoring case): customer, product, time, invoice, quantity, price,
// country; -1 for an optional role the Columns leave empty.
func (c Columns) resolve(names []string, where string) ([7]int, error) {
	var out [7]int
	roles := []struct {
		role, name string
		req        bool
	}{{"customer", c.Customer, true}, {"product", c.Product, true}, {"time", c.Time, true},
		{"invoice", c.Invoice, false}, {"quantity", c.Quantity, false}, {"price", c.Price, false}, {"country", c.Country, false}}
	for k, r := range roles {
		out[k] = -1
		if r.name == "" {
			if r.req {
				return out, errs.Userf(errs.Invalid, "the %s column is required", r.role)
			}
			continue
		}
		for i, n := range names {
			if n == r.name {
				out[k] = i
				break
			}
		}
		if out[k] < 0 {
			for i, n := range names {
				if strings.EqualFold(n, r.name) {
					out[k] = i
					break
				}
			}
		}
		if out[k] < 0 {
			return out, errs.Userf(errs.Invalid, "the %s column %q is not in the %s (columns: %s)", r.role, r.name, where, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// builder applies the rules to raw rows and keeps the accepted ones.
type builder struct {
	rules   Rules
	layouts []string
	layout  string // the last layout that parsed a time
	log     *Log
	st      Stats
}

func newBuilder(cols Columns, rules Rules) *builder {
	layouts := cols.TimeLayouts
	if len(layouts) == 0 {
		layouts = DefaultTimeLayouts()
	}
	return &builder{rules: rules, layouts: layouts, log: NewLog()}
}

func (b *builder) add(row Row) {
	b.st.Read++
	ev, reason := b.rules.apply(row, b.layouts, &b.layout)
	if reason != "" {
		b.st.drop(reason)
		return
	}
	b.log.Append(ev)
	b.st.Kept++
}

// Stats counts what reading did.
type Stats struct {
	Read, Kept int
	Dropped    map[string]int // by reason
}

func (s *Stats) drop(reason string) {
	if s.Dropped == nil {
		s.Dropped = map[string]int{}
	}
	s.Dropped[reason]++
}

// Rules is a cleaning definition: which order lines count as purchases.
type Rules struct {
	Name string
	// NumericCustomer parses customer ids as numbers and keeps the integer
	// ("17850.0" becomes "17850").
	NumericCustomer bool
	// RequireCustomer drops lines without a customer.
	RequireCustomer bool
	// DropInvoicePrefixes drops lines whose invoice starts with one of these
	// (cancellations, "C" in the retail data).
	DropInvoicePrefixes []string
	// PositiveQuantity and PositivePrice drop lines with quantity or price <= 0.
	PositiveQuantity, PositivePrice bool
	// ProductStartsWithDigit drops products whose code does not start with a
	// digit (postage, manual adjustments, bank charges in the retail data).
	ProductStartsWithDigit bool
}

// RetailRules returns the cleaning of protocol OR-temporal-v1.
func RetailRules() Rules {
	return Rules{
		Name: "or-temporal-v1", NumericCustomer: true, RequireCustomer: true, DropInvoicePrefixes: []string{"C"},
		PositiveQuantity: true, PositivePrice: true, ProductStartsWithDigit: true,
	}
}

// Drop reasons.
const (
	DropNoCustomer   = "no customer"
	DropCancelled    = "cancelled invoice"
	DropQuantity     = "quantity not positive"
	DropPrice        = "price not positive"
	DropProduct      = "not a product code"
	DropBadTime      = "time not readable"
	DropBadNumber    = "number not readable"
	DropEmptyProduct = "no product"
)

func (r Rules) apply(row Row, layouts []string, last *string) (Event, string) {
	cust := strings.TrimSpace(row.Customer)
	if cust == "" {
		if r.RequireCustomer {
			return Event{}, DropNoCustomer
		}
	} else if r.NumericCustomer {
		f, err := strconv.ParseFloat(cust, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Event{}, DropBadNumber
		}
		cust = strconv.FormatInt(int64(f), 10)
	}
	for _, p := range r.DropInvoicePrefixes {
		if strings.HasPrefix(row.Invoice, p) {
			return Event{}, DropCancelled
		}
	}
	prod := strings.TrimSpace(row.Product)
	if prod == "" {
		return Event{}, DropEmptyProduct
	}
	if r.ProductStartsWithDigit && (prod[0] < '0' || prod[0] > '9') {
		return Event{}, DropProduct
	}
	qty, price := 1.0, 0.0
	var err error
	if row.Qty != "" {
		if qty, err = strconv.ParseFloat(strings.TrimSpace(row.Qty), 64); err != nil {
			return Event{}, DropBadNumber
		}
	}
	if r.PositiveQuantity && !(qty > 0) {
		return Event{}, DropQuantity
	}
	if row.Pr != "" {
		if price, err = strconv.ParseFloat(strings.TrimSpace(row.Pr), 64); err != nil {
			return Event{}, DropBadNumber
		}
	}
	if r.PositivePrice && !(price > 0) {
		return Event{}, DropPrice
	}
	t, ok := parseTime(strings.TrimSpace(row.Time), layouts, last)
	if !ok {
		return Event{}, DropBadTime
	}
	return Event{Customer: cust, Product: prod, Invoice: row.Invoice, Country: strings.TrimSpace(row.Country),
		Time: t, Quantity: qty, Price: price}, ""
}

func parseTime(s string, layouts []string, last *string) (time.Time, bool) {
	if *last != "" {
		if t, err := time.Parse(*last, s); err == nil {
			return t, true
		}
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			*last = l
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

// String describes the stats for a log line.
func (s Stats) String() string {
	return fmt.Sprintf("read %d lines, kept %d, dropped %v", s.Read, s.Kept, s.Dropped)
}
