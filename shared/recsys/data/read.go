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
	idx := map[string]int{}
	for i, h := range head {
		idx[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	col := func(role, name string, required bool) (int, error) {
		if name == "" {
			if required {
				return -1, errs.Userf(errs.Invalid, "the %s column is required", role)
			}
			return -1, nil
		}
		i, ok := idx[name]
		if !ok {
			return -1, errs.Userf(errs.Invalid, "the %s column %q is not in the file (columns: %s)", role, name, strings.Join(head, ", "))
		}
		return i, nil
	}
	var ci [7]int
	for k, c := range []struct {
		role, name string
		req        bool
	}{{"customer", cols.Customer, true}, {"product", cols.Product, true}, {"time", cols.Time, true},
		{"invoice", cols.Invoice, false}, {"quantity", cols.Quantity, false}, {"price", cols.Price, false}, {"country", cols.Country, false}} {
		if ci[k], err = col(c.role, c.name, c.req); err != nil {
			return nil, Stats{}, err
		}
	}
	layouts := cols.TimeLayouts
	if len(layouts) == 0 {
		layouts = DefaultTimeLayouts()
	}
	get := func(rec []string, i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	log := NewLog()
	var st Stats
	line := 1
	layout := ""
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, st, errs.Userf(errs.Invalid, "line %d of the interactions file is not valid CSV: %v", pe.Line, pe.Err)
			}
			return nil, st, errs.WrapField(errs.Invalid, err, "", "could not read line %d of the interactions file", line)
		}
		if line%65536 == 0 && ctx.Err() != nil {
			return nil, st, ctx.Err()
		}
		st.Read++
		row := Row{Line: line, Customer: get(rec, ci[0]), Product: get(rec, ci[1]), Time: get(rec, ci[2]),
			Invoice: get(rec, ci[3]), Qty: get(rec, ci[4]), Pr: get(rec, ci[5]), Country: get(rec, ci[6])}
		ev, reason := rules.apply(row, layouts, &layout)
		if reason != "" {
			st.drop(reason)
			continue
		}
		log.Append(ev)
		st.Kept++
	}
	return log, st, nil
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
