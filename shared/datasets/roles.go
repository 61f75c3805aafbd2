package datasets

import (
	"sort"
	"strings"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// Cardinality is what role suggestions use of a column's statistics (over the full table).
type Cardinality struct {
	Rows     int64 `json:"rows"`
	Distinct int64 `json:"distinct"`
}

// RoleInput is one table for SuggestRoles.
type RoleInput struct {
	Table   string
	Primary bool
	Columns warehouse.Schema
	Stats   map[string]Cardinality // by column name, optional
}

// RoleSuggestion is a suggested role for a column.
type RoleSuggestion struct {
	Column     ColumnRef  `json:"column"`
	Role       Role       `json:"role"`
	Score      int        `json:"score"`
	Confidence Confidence `json:"confidence"`
	Reasons    []string   `json:"reasons"`
}

// roleNames are the names (compacted: lower case, without '_', '-' and
// spaces) that mean a role, and roleWords words that hint at it.
var (
	roleNames = map[Role][]string{
		RoleCustomer:  {"customerid", "userid", "clientid", "buyerid", "memberid", "accountid", "personid", "customer", "client", "user"},
		RoleProduct:   {"productid", "itemid", "sku", "skuid", "articleid", "goodsid", "stockcode", "product", "item", "article"},
		RoleTimestamp: {"timestamp", "ts", "date", "datetime", "time", "invoicedate", "orderdate", "createdat", "eventtime", "transactiondate", "purchasedat", "orderedat"},
		RoleRevenue:   {"amount", "revenue", "price", "total", "value", "sales", "ordertotal", "transactionamount", "spend", "unitprice", "linetotal"},
		RoleQuantity:  {"quantity", "qty", "units", "quantityordered"},
		RoleCategory:  {"category", "categoryname", "type", "producttype", "department", "brand", "segment", "country", "group", "class", "region"},
	}
	roleHints = map[Role][]string{
		RoleCustomer:  {"customer", "client", "user", "buyer"},
		RoleProduct:   {"product", "item", "sku", "article"},
		RoleTimestamp: {"date", "time", "created", "ordered"},
		RoleRevenue:   {"revenue", "amount", "price", "sales", "total"},
		RoleQuantity:  {"qty", "quantity"},
		RoleCategory:  {"category", "brand", "department", "segment", "country"},
	}
	roleOrder = []Role{RoleCustomer, RoleProduct, RoleTimestamp, RoleRevenue, RoleQuantity, RoleCategory}
)

// Role suggestion points and thresholds.
const (
	RoleScoreName       = 10 // the whole name means the role
	RoleScoreHint       = 5  // the name contains a word hinting at the role
	RoleScorePrimary    = 1  // the column is in the primary table
	RoleScoreRepeats    = 2  // ids: values repeat (a transaction table)
	RoleScoreUnique     = -4 // ids: every value distinct in the primary table (a row id)
	RoleScoreFewValues  = 4  // category: at most CategoryMaxDistinct values, or at most 5% of the rows
	RoleScoreTimeType   = 3  // timestamp: a date or timestamp column
	CategoryMaxDistinct = 100
	RoleHighScore       = 10 // High from here (a name that means the role)
	RoleMediumScore     = 5  // Medium from here (a hint), Low from RoleMinScore
	RoleMinScore        = 3
)

func compactName(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
}

// SuggestRoles suggests roles for the columns of the tables from their names,
// types and (when given) statistics. Each single role (customer id, product
// id, timestamp, revenue, quantity) goes to its best column, a column gets at
// most one role (the first of customer, product, timestamp, revenue,
// quantity, category that it scores best for), and category may go to several
// columns. Only columns whose type fits the role are considered. The
// confidence is High from RoleHighScore, Medium from RoleMediumScore, else
// Low; suggestions below RoleMinScore are dropped, and a category needs a
// name that means or mentions it (statistics only confirm it).
func SuggestRoles(tables []RoleInput) []RoleSuggestion {
	var cands []RoleSuggestion
	for _, t := range tables {
		for _, c := range t.Columns {
			name := compactName(c.Name)
			st, hasStats := t.Stats[c.Name]
			for _, r := range roleOrder {
				if checkRoleType(r, c.Type, "", ColumnRef{}) != nil || (r == RoleCategory && c.Type != warehouse.String && c.Type != warehouse.Int64 && c.Type != warehouse.Bool) {
					continue
				}
				s := RoleSuggestion{Column: ColumnRef{Table: t.Table, Column: c.Name}, Role: r}
				add := func(p int, why string) {
					s.Score += p
					s.Reasons = append(s.Reasons, why)
				}
				for _, n := range roleNames[r] {
					if name == n {
						add(RoleScoreName, "the name means "+roleWords(r))
						break
					}
				}
				if s.Score == 0 {
					for _, h := range roleHints[r] {
						if strings.Contains(name, h) {
							add(RoleScoreHint, "the name mentions "+h)
							break
						}
					}
				}
				if r == RoleTimestamp {
					add(RoleScoreTimeType, "a date or timestamp column")
				}
				if hasStats && st.Rows > 0 && st.Distinct > 0 {
					switch r {
					case RoleCustomer, RoleProduct:
						if st.Distinct < st.Rows {
							add(RoleScoreRepeats, "values repeat across rows")
						} else if t.Primary {
							add(RoleScoreUnique, "every value is distinct (a row id?)")
						}
					case RoleCategory:
						if st.Distinct <= CategoryMaxDistinct || st.Distinct*20 <= st.Rows {
							add(RoleScoreFewValues, "few distinct values")
						}
					}
				}
				if t.Primary && s.Score > 0 {
					add(RoleScorePrimary, "in the primary table")
				}
				if s.Score < RoleMinScore || (r == RoleCategory && len(s.Reasons) > 0 && !strings.HasPrefix(s.Reasons[0], "the name")) {
					continue // a category needs a name that says so; statistics only confirm it
				}
				s.Confidence = rate(s.Score, RoleHighScore, RoleMediumScore)
				cands = append(cands, s)
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Score != cands[j].Score {
			return cands[i].Score > cands[j].Score
		}
		return roleRank(cands[i].Role) < roleRank(cands[j].Role)
	})
	var out []RoleSuggestion
	taken := map[Role]bool{}
	used := map[string]bool{}
	for _, s := range cands {
		k := refKey(s.Column.Table, s.Column.Column)
		if used[k] || (s.Role != RoleCategory && taken[s.Role]) {
			continue
		}
		used[k], taken[s.Role] = true, true
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return roleRank(out[i].Role) < roleRank(out[j].Role) })
	return out
}

func roleRank(r Role) int {
	for i, x := range roleOrder {
		if x == r {
			return i
		}
	}
	return len(roleOrder)
}
