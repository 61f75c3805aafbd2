package datasets

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
)

// Thresholds are the limits of the data-quality report. Each is a setting
// (the platform reads B2B_DATASET_QUALITY_<NAME>, see docs/api.md); the
// report shows the thresholds it used.
type Thresholds struct {
	// ColdStart: a customer or product with fewer interactions is cold
	// (COLD_START, default 5).
	ColdStart int `json:"cold_start"`
	// MinRows: fewer rows is an error (MIN_ROWS, default 1000).
	MinRows int64 `json:"min_rows"`
	// MinPerCustomer, MinPerProduct: fewer interactions on average is a
	// warning (MIN_PER_CUSTOMER, MIN_PER_PRODUCT, default 5 each).
	MinPerCustomer float64 `json:"min_per_customer"`
	MinPerProduct  float64 `json:"min_per_product"`
	// MaxSparsity: a larger share of empty customer-product cells is a
	// warning (MAX_SPARSITY, default 0.999).
	MaxSparsity float64 `json:"max_sparsity"`
	// MaxColdShare: a larger share of cold customers or of cold products is
	// a warning (MAX_COLD_SHARE, default 0.5).
	MaxColdShare float64 `json:"max_cold_share"`
	// MinSpanDays: a shorter date span is a warning (MIN_SPAN_DAYS, default
	// 90): time-based splits need history.
	MinSpanDays float64 `json:"min_span_days"`
	// MaxFilteredShare: the filters removing a larger share of the joined
	// rows is a warning (MAX_FILTERED_SHARE, default 0.8).
	MaxFilteredShare float64 `json:"max_filtered_share"`
	// MaxDuplicateShare: a larger share of rows that repeat another row
	// exactly is a warning (MAX_DUPLICATE_SHARE, default 0.01).
	MaxDuplicateShare float64 `json:"max_duplicate_share"`
}

// DefaultThresholds are the documented defaults.
var DefaultThresholds = Thresholds{
	ColdStart: 5, MinRows: 1000, MinPerCustomer: 5, MinPerProduct: 5, MaxSparsity: 0.999,
	MaxColdShare: 0.5, MinSpanDays: 90, MaxFilteredShare: 0.8, MaxDuplicateShare: 0.01,
}

// withDefaults fills the zero fields from DefaultThresholds.
func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds
	pick := func(v, def float64) float64 {
		if v > 0 {
			return v
		}
		return def
	}
	if t.ColdStart <= 0 {
		t.ColdStart = d.ColdStart
	}
	if t.MinRows <= 0 {
		t.MinRows = d.MinRows
	}
	t.MinPerCustomer = pick(t.MinPerCustomer, d.MinPerCustomer)
	t.MinPerProduct = pick(t.MinPerProduct, d.MinPerProduct)
	t.MaxSparsity = pick(t.MaxSparsity, d.MaxSparsity)
	t.MaxColdShare = pick(t.MaxColdShare, d.MaxColdShare)
	t.MinSpanDays = pick(t.MinSpanDays, d.MinSpanDays)
	t.MaxFilteredShare = pick(t.MaxFilteredShare, d.MaxFilteredShare)
	t.MaxDuplicateShare = pick(t.MaxDuplicateShare, d.MaxDuplicateShare)
	return t
}

// Measures are what the data-quality report measured.
type Measures struct {
	RowsBeforeFilters int64      `json:"rows_before_filters"`
	Rows              int64      `json:"rows"`
	FilteredShare     float64    `json:"filtered_share"`
	DuplicateRows     int64      `json:"duplicate_rows"`
	DuplicateShare    float64    `json:"duplicate_share"`
	Customers         int64      `json:"customers"`
	Products          int64      `json:"products"`
	Interactions      int64      `json:"interactions"`
	Pairs             int64      `json:"pairs"`
	PerCustomer       float64    `json:"interactions_per_customer"`
	PerProduct        float64    `json:"interactions_per_product"`
	Sparsity          float64    `json:"sparsity"`
	ColdCustomers     int64      `json:"cold_customers"`
	ColdCustomerShare float64    `json:"cold_customer_share"`
	ColdProducts      int64      `json:"cold_products"`
	ColdProductShare  float64    `json:"cold_product_share"`
	First             *time.Time `json:"first,omitempty"`
	Last              *time.Time `json:"last,omitempty"`
	SpanDays          float64    `json:"span_days"`
	HasTimestamp      bool       `json:"has_timestamp"`
}

// Severity of a data-quality issue.
type Severity string

// Severities and what each costs the score.
const (
	SeverityError   Severity = "error"   // -30
	SeverityWarning Severity = "warning" // -10
)

// Issue is a named data-quality problem.
type Issue struct {
	Code      string   `json:"code"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	Value     float64  `json:"value"`
	Threshold float64  `json:"threshold"`
}

// QualityReport is a dataset's data-quality report: a score from 0 to 100
// (100 minus 30 per error and 10 per warning, at least 0), the issues, the
// measures and the thresholds used.
type QualityReport struct {
	Score      int        `json:"score"`
	Issues     []Issue    `json:"issues"`
	Measures   Measures   `json:"measures"`
	Thresholds Thresholds `json:"thresholds"`
	Version    int        `json:"version"`
}

// Assess scores measures against thresholds. It is pure: the Service
// measures, Assess judges.
func Assess(m Measures, t Thresholds) QualityReport {
	t = t.withDefaults()
	r := QualityReport{Measures: m, Thresholds: t, Issues: []Issue{}}
	add := func(code string, sev Severity, v, th float64, format string, args ...any) {
		r.Issues = append(r.Issues, Issue{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Value: v, Threshold: th})
	}
	if m.Rows < t.MinRows {
		add("few_rows", SeverityError, float64(m.Rows), float64(t.MinRows),
			"only %d rows: a model needs at least %d; widen the filters or add data", m.Rows, t.MinRows)
	}
	if m.Customers > 0 && m.PerCustomer < t.MinPerCustomer {
		add("few_interactions_per_customer", SeverityWarning, m.PerCustomer, t.MinPerCustomer,
			"customers have %.1f interactions on average (fewer than %.0f): recommendations for them will lean on popularity", m.PerCustomer, t.MinPerCustomer)
	}
	if m.Products > 0 && m.PerProduct < t.MinPerProduct {
		add("few_interactions_per_product", SeverityWarning, m.PerProduct, t.MinPerProduct,
			"products have %.1f interactions on average (fewer than %.0f): consider a top-products filter", m.PerProduct, t.MinPerProduct)
	}
	if m.Customers > 0 && m.Products > 0 && m.Sparsity > t.MaxSparsity {
		add("sparse", SeverityWarning, m.Sparsity, t.MaxSparsity,
			"%.2f%% of customer-product pairs are empty (more than %.2f%%): the data is very sparse", 100*m.Sparsity, 100*t.MaxSparsity)
	}
	if m.Customers > 0 && m.ColdCustomerShare > t.MaxColdShare {
		add("cold_customers", SeverityWarning, m.ColdCustomerShare, t.MaxColdShare,
			"%.0f%% of customers have fewer than %d interactions (cold start; more than %.0f%%)", 100*m.ColdCustomerShare, t.ColdStart, 100*t.MaxColdShare)
	}
	if m.Products > 0 && m.ColdProductShare > t.MaxColdShare {
		add("cold_products", SeverityWarning, m.ColdProductShare, t.MaxColdShare,
			"%.0f%% of products have fewer than %d interactions (cold start; more than %.0f%%)", 100*m.ColdProductShare, t.ColdStart, 100*t.MaxColdShare)
	}
	if m.HasTimestamp && m.SpanDays < t.MinSpanDays {
		add("short_span", SeverityWarning, m.SpanDays, t.MinSpanDays,
			"the data spans %.0f days (fewer than %.0f): time-based splits need more history", m.SpanDays, t.MinSpanDays)
	}
	if m.FilteredShare > t.MaxFilteredShare {
		add("filtered_out", SeverityWarning, m.FilteredShare, t.MaxFilteredShare,
			"the filters remove %.0f%% of the rows (more than %.0f%%): check that they are meant", 100*m.FilteredShare, 100*t.MaxFilteredShare)
	}
	if m.DuplicateShare > t.MaxDuplicateShare {
		add("duplicate_rows", SeverityWarning, m.DuplicateShare, t.MaxDuplicateShare,
			"%d rows (%.1f%%) repeat another row exactly (more than %.1f%%)", m.DuplicateRows, 100*m.DuplicateShare, 100*t.MaxDuplicateShare)
	}
	score := 100
	for _, is := range r.Issues {
		if is.Severity == SeverityError {
			score -= 30
		} else {
			score -= 10
		}
	}
	r.Score = max(score, 0)
	return r
}

// share is a/b, 0 when b is 0.
func share(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// measures turns CompileQuality's row into Measures.
func measures(row map[string]any) Measures {
	n := func(k string) int64 { v, _ := toInt(row[k]); return v }
	m := Measures{
		RowsBeforeFilters: n(QRowsBefore), Rows: n(QRows), Customers: n(QCustomers), Products: n(QProducts),
		Interactions: n(QInteractions), Pairs: n(QPairs), ColdCustomers: n(QColdCustomers), ColdProducts: n(QColdProducts),
	}
	m.DuplicateRows = m.Rows - n(QDistinctRows)
	m.FilteredShare = 1 - share(m.Rows, m.RowsBeforeFilters)
	if m.RowsBeforeFilters == 0 {
		m.FilteredShare = 0
	}
	m.DuplicateShare = share(m.DuplicateRows, m.Rows)
	m.PerCustomer = share(m.Interactions, m.Customers)
	m.PerProduct = share(m.Interactions, m.Products)
	if cells := float64(m.Customers) * float64(m.Products); cells > 0 {
		m.Sparsity = 1 - float64(m.Pairs)/cells
	}
	m.ColdCustomerShare = share(m.ColdCustomers, m.Customers)
	m.ColdProductShare = share(m.ColdProducts, m.Products)
	if f, ok := row[QFirst].(time.Time); ok {
		l, _ := row[QLast].(time.Time)
		f, l = f.UTC(), l.UTC()
		m.First, m.Last, m.HasTimestamp = &f, &l, true
		m.SpanDays = math.Round(l.Sub(f).Hours()/24*10) / 10
	}
	return m
}

// Quality measures the dataset's current version and scores it.
func (s *Service) Quality(ctx context.Context, tenant, id string) (QualityReport, error) {
	a, err := s.analysis(ctx, tenant, id)
	if err != nil {
		return QualityReport{}, err
	}
	return s.quality(ctx, a)
}

// QualityOf measures and scores an unsaved model (the wizard's live report).
func (s *Service) QualityOf(ctx context.Context, tenant string, d Dataset) (QualityReport, error) {
	a, err := s.analysisOfModel(ctx, tenant, d)
	if err != nil {
		return QualityReport{}, err
	}
	return s.quality(ctx, a)
}

func (s *Service) quality(ctx context.Context, a *analysisCtx) (QualityReport, error) {
	q, err := CompileQuality(&a.rec.Dataset, a.schemas, a.wh.Dialect(), s.opts.Quality.ColdStart)
	if err != nil {
		return QualityReport{}, err
	}
	rows, err := a.query(ctx, s.opts.QueryTimeout, q)
	if err != nil {
		return QualityReport{}, errs.At("datasets.Quality", err)
	}
	if len(rows) != 1 {
		return QualityReport{}, errs.E(errs.Unknown, "datasets: quality query returned %d rows", len(rows))
	}
	r := Assess(measures(rows[0]), s.opts.Quality)
	r.Version = a.rec.Version
	return r, nil
}
