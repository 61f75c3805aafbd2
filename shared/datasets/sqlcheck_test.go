package datasets

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
)

// sqlcheckDir holds the node tool that parses BigQuery SQL with
// node-sql-parser's BigQuery grammar (its own package.json and lock file;
// scripts/install-deps.sh runs npm ci there).
var sqlcheckDir = filepath.Join("testdata", "sqlcheck")

// requireSQLCheck skips the test when node or the tool's node_modules are
// missing, except under B2B_REQUIRE_SERVICES=1 where it fails.
func requireSQLCheck(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	msg := ""
	switch {
	case err != nil:
		msg = "node is not installed: the BigQuery grammar check needs node (scripts/install-deps.sh installs it)"
	default:
		if _, err := os.Stat(filepath.Join(sqlcheckDir, "node_modules", "node-sql-parser")); err != nil {
			msg = "node-sql-parser is not installed: run `npm ci` in shared/datasets/testdata/sqlcheck (scripts/install-deps.sh does)"
		}
	}
	if msg != "" {
		if os.Getenv("B2B_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

// bigQueryParseErrors parses each statement with the BigQuery grammar and
// returns, per statement, "" or the parser's message.
//
// node-sql-parser does not know BigQuery's backslash escapes in quoted
// identifiers (`a\`b`, which BigQuery accepts) and accepts a doubled
// backtick, which BigQuery does not; so identifiers holding an escape are
// replaced by a plain quoted name before parsing. The quoting itself is
// checked token by token in TestCompiledSQLTokens and the fuzz test.
func bigQueryParseErrors(t testing.TB, stmts []string) []string {
	t.Helper()
	node := requireSQLCheck(t)
	in := make([]string, len(stmts))
	for i, s := range stmts {
		in[i] = plainBackticks(s)
	}
	body, _ := json.Marshal(in)
	cmd := exec.Command(node, "check.js")
	cmd.Dir = sqlcheckDir
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.js: %v\n%s", err, stderr.String())
	}
	var res []*string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(stmts) {
		t.Fatalf("node check.js answered %q (%v)", out, err)
	}
	msgs := make([]string, len(res))
	for i, r := range res {
		if r != nil {
			msgs[i] = *r
		}
	}
	return msgs
}

// plainBackticks replaces every backtick-quoted identifier that contains a
// backslash escape with `escaped_identifier`.
func plainBackticks(s string) string {
	toks, err := tokenize(warehouse.BigQuery, s)
	if err != nil {
		return s
	}
	var b strings.Builder
	for _, tk := range toks {
		if tk.kind == tokIdent && strings.Contains(tk.text, `\`) {
			b.WriteString("`escaped_identifier`")
			continue
		}
		b.WriteString(tk.text)
	}
	return b.String()
}

func TestBigQueryGrammar(t *testing.T) {
	var stmts, names []string
	for _, tc := range goldenCases {
		q, err := Compile(baseDataset(tc.filters...), testSchemas, warehouse.BigQuery)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, q.SQL)
		names = append(names, tc.name)
	}
	for seed := range uint64(300) {
		g := newGen(seed)
		d, schemas := g.model()
		q, err := Compile(d, schemas, warehouse.BigQuery)
		if err != nil {
			continue
		}
		stmts = append(stmts, q.SQL)
		names = append(names, "random seed "+string(rune('0'+seed%10)))
	}
	if len(stmts) < len(goldenCases)+100 {
		t.Fatalf("only %d random models compiled", len(stmts)-len(goldenCases))
	}
	for i, msg := range bigQueryParseErrors(t, stmts) {
		if msg != "" {
			t.Errorf("%s: does not parse as BigQuery: %s\n%s", names[i], msg, stmts[i])
		}
	}
	// The check can fail: a broken statement is reported.
	if msgs := bigQueryParseErrors(t, []string{"SELECT FROM WHERE"}); msgs[0] == "" {
		t.Error("the grammar check accepted broken SQL")
	}
}

// TestBigQueryGrammarAnalysis parses the preview, statistics, top-values,
// quality and training queries of every golden case with the grammar.
func TestBigQueryGrammarAnalysis(t *testing.T) {
	var stmts, names []string
	add := func(name string, q Query, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stmts, names = append(stmts, q.SQL), append(names, name)
	}
	for _, tc := range goldenCases {
		d := baseDataset(tc.filters...)
		q, err := CompilePreview(d, testSchemas, warehouse.BigQuery, 7, 20)
		add(tc.name+" preview", q, err)
		q, err = CompileStats(d, testSchemas, warehouse.BigQuery)
		add(tc.name+" stats", q, err)
		q, err = CompileTopValues(d, testSchemas, warehouse.BigQuery, 10)
		add(tc.name+" top values", q, err)
		q, err = CompileQuality(d, testSchemas, warehouse.BigQuery, 5)
		add(tc.name+" quality", q, err)
		q, err = CompileTraining(d, testSchemas, warehouse.BigQuery)
		add(tc.name+" training", q, err)
		q, err = CompilePareto(d, testSchemas, warehouse.BigQuery, Customer, 100)
		add(tc.name+" pareto", q, err)
	}
	for i, msg := range bigQueryParseErrors(t, stmts) {
		if msg != "" {
			t.Errorf("%s: does not parse as BigQuery: %s\n%s", names[i], msg, stmts[i])
		}
	}
}
