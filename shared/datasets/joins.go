package datasets

import (
	"sort"
	"strings"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Confidence rates a join suggestion.
type Confidence string

// Confidence levels.
const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Score points of SuggestJoins; the confidence is High from HighScore,
// Medium from MediumScore, else Low.
const (
	ScoreSameName    = 10
	ScoreSameType    = 2
	ScoreKeyLike     = 3
	ScoreForeignKey  = 8
	ScoreOverlapHigh = 6  // at least 80% of the smaller sample's distinct values in the other
	ScoreOverlapSome = 3  // at least 20%
	ScoreNoOverlap   = -6 // both samples given and no value in common
	HighScore        = 12
	MediumScore      = 6
)

// TableColumns is a table's columns with optional samples of their values
// (by column name) for the overlap score.
type TableColumns struct {
	Table   string
	Columns warehouse.Schema
	Samples map[string][]string
}

// JoinSuggestion is one scored column pair.
type JoinSuggestion struct {
	Left       ColumnRef  `json:"left"`
	Right      ColumnRef  `json:"right"`
	Score      int        `json:"score"`
	Confidence Confidence `json:"confidence"`
	Reasons    []string   `json:"reasons"`
}

// rate is the confidence of a score: High from high, Medium from medium,
// else Low.
func rate(score, high, medium int) Confidence {
	switch {
	case score >= high:
		return High
	case score >= medium:
		return Medium
	}
	return Low
}

// keyNames are whole names that are join keys.
var keyNames = map[string]bool{
	"id": true, "customer_id": true, "user_id": true, "product_id": true, "item_id": true, "order_id": true,
	"transaction_id": true, "sku": true, "sku_id": true, "category_id": true, "brand_id": true,
	"stockcode": true, "stock_code": true, "customerid": true, "productid": true, "invoiceno": true,
}

// keyLike reports whether a column looks like a join key: a whole or
// integer type and a key name (a known key, or ending in _id, _key, _code).
func keyLike(c warehouse.Column) bool {
	if c.Type != warehouse.String && c.Type != warehouse.Int64 {
		return false
	}
	n := strings.ToLower(c.Name)
	return keyNames[n] || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_key") || strings.HasSuffix(n, "_code")
}

// singular is a table name's singular: products → product, categories →
// category, boxes → box (only common English endings).
func singular(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.HasSuffix(s, "ies") && len(s) > 3:
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "xes"), strings.HasSuffix(s, "ches"), strings.HasSuffix(s, "shes"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return s[:len(s)-1]
	}
	return s
}

// foreignKey reports whether col (of any table) references the id column
// idCol of table: <singular(table)>_id or <singular(table)>id ↔ id.
func foreignKey(col string, table, idCol string) bool {
	if !strings.EqualFold(idCol, "id") {
		return false
	}
	c, s := strings.ToLower(col), singular(table)
	return c == s+"_id" || c == s+"id"
}

// overlap is the share of the smaller sample's distinct values found in the
// other; ok is false when a sample is missing.
func overlap(a, b []string) (float64, bool) {
	if len(a) == 0 || len(b) == 0 {
		return 0, false
	}
	sa, sb := map[string]bool{}, map[string]bool{}
	for _, v := range a {
		sa[v] = true
	}
	for _, v := range b {
		sb[v] = true
	}
	if len(sb) < len(sa) {
		sa, sb = sb, sa
	}
	n := 0
	for v := range sa {
		if sb[v] {
			n++
		}
	}
	return float64(n) / float64(len(sa)), true
}

// SuggestJoins scores every column pair (left column, right column) whose
// types can be join keys and returns the pairs with a positive score, best
// first (ties by left then right column name). Points: same name
// (case-insensitive) ScoreSameName; same type ScoreSameType; both key-like
// ScoreKeyLike; a foreign-key pattern (<singular table>_id ↔ id, either
// way) ScoreForeignKey; sample overlap ScoreOverlapHigh / ScoreOverlapSome,
// or ScoreNoOverlap when both samples are given and share no value.
func SuggestJoins(left, right TableColumns) []JoinSuggestion {
	var out []JoinSuggestion
	for _, lc := range left.Columns {
		for _, rc := range right.Columns {
			if !joinable(lc.Type, rc.Type) || lc.Type == warehouse.Float64 || rc.Type == warehouse.Float64 || lc.Type == warehouse.Bool || lc.Type == warehouse.Bytes {
				continue
			}
			s := JoinSuggestion{Left: ColumnRef{Table: left.Table, Column: lc.Name}, Right: ColumnRef{Table: right.Table, Column: rc.Name}}
			add := func(pts int, why string) {
				s.Score += pts
				s.Reasons = append(s.Reasons, why)
			}
			if strings.EqualFold(lc.Name, rc.Name) {
				add(ScoreSameName, "same name")
			}
			if lc.Type == rc.Type {
				add(ScoreSameType, "same type")
			}
			if keyLike(lc) && keyLike(rc) {
				add(ScoreKeyLike, "both look like keys")
			}
			if foreignKey(lc.Name, right.Table, rc.Name) || foreignKey(rc.Name, left.Table, lc.Name) {
				add(ScoreForeignKey, "names follow the <table>_id ↔ id pattern")
			}
			if o, ok := overlap(left.Samples[lc.Name], right.Samples[rc.Name]); ok {
				switch {
				case o >= 0.8:
					add(ScoreOverlapHigh, "sample values match")
				case o >= 0.2:
					add(ScoreOverlapSome, "some sample values match")
				case o == 0:
					add(ScoreNoOverlap, "no sample value in common")
				}
			}
			if s.Score <= 0 || (len(s.Reasons) == 1 && s.Reasons[0] == "same type") {
				continue // a shared type alone is no evidence
			}
			s.Confidence = rate(s.Score, HighScore, MediumScore)
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if out[i].Left.Column != out[j].Left.Column {
			return out[i].Left.Column < out[j].Left.Column
		}
		return out[i].Right.Column < out[j].Right.Column
	})
	return out
}
