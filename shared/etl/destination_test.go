package etl_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

func boolPtr(b bool) *bool { return &b }

// assertRows compares query rows with the wanted values by their printed
// form (times in UTC).
func assertRows(t *testing.T, got [][]any, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	for i, w := range want {
		for j := range w {
			g := got[i][j]
			if gt, ok := g.(time.Time); ok {
				g = gt.UTC()
			}
			if fmt.Sprint(g) != fmt.Sprint(w[j]) {
				t.Errorf("row %d col %d = %#v, want %#v", i, j, g, w[j])
			}
		}
	}
}

// TestDestSettingsChecked: a job's destination column settings are
// checked on create, naming the field: without the source (file jobs) the
// names, types, lineage rule, partition and clustering; against the
// described table (database jobs, real PostgreSQL) also the source
// columns, the safety of each type change and the partition column's type.
func TestDestSettingsChecked(t *testing.T) {
	e := newEnv(t)
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.sales (id bigint PRIMARY KEY, "Invoice Date" date, amount float8, note text, qty bigint)`)
	connID := e.createConn(in)
	file := func(d etl.Dest, mode etl.LoadMode) etl.NewJob {
		return etl.NewJob{Name: "file " + uniqueName("j"), File: etl.FileSource{Prefix: "in", Pattern: "*.csv"}, Dest: d, LoadMode: mode}
	}
	db := func(d etl.Dest, mode etl.LoadMode) etl.NewJob {
		return etl.NewJob{Name: "db " + uniqueName("j"), SourceType: "postgresql", Dest: d, LoadMode: mode,
			Database: &etl.DatabaseSource{ConnectionID: connID, Table: "sales"}}
	}
	col := func(source, name string, typ warehouse.Type) []etl.ColumnOverride {
		return []etl.ColumnOverride{{Source: source, Name: name, Type: typ}}
	}
	tests := []struct {
		name      string
		job       etl.NewJob
		field     string // "" = accepted
		msgHas    string
		wantTable string
	}{
		{"file: name not a warehouse name", file(etl.Dest{Columns: col("Invoice Date", "Invoice Date", "")}, ""), "dest.columns[0].name", `"invoice_date" would be`, ""},
		{"file: lineage column name", file(etl.Dest{Columns: col("a", etl.ColRunID, "")}, ""), "dest.columns[0].name", "lineage column", ""},
		{"file: unknown type", file(etl.Dest{Columns: col("a", "", "INTEGER")}, ""), "dest.columns[0].type", "not a column type", ""},
		{"file: two settings for a column", file(etl.Dest{Columns: []etl.ColumnOverride{{Source: "a", Name: "x"}, {Source: "a", Name: "y"}}}, ""), "dest.columns[1].source", "two settings", ""},
		{"file: append without lineage", file(etl.Dest{Lineage: boolPtr(false)}, etl.Append), "dest.lineage", etl.ColSourceFile, ""},
		{"file: truncate without lineage", file(etl.Dest{Table: "no_lineage", Lineage: boolPtr(false)}, etl.Truncate), "", "", "no_lineage"},
		{"file: hourly partitions", file(etl.Dest{Partition: &etl.TimePartition{Column: "day", Granularity: "hour"}}, ""), "dest.partition.granularity", "by day", ""},
		{"file: five clustering columns", file(etl.Dest{ClusterBy: []string{"a", "b", "c", "d", "e"}}, ""), "dest.cluster_by", "at most 4", ""},
		{"file: clustering column twice", file(etl.Dest{ClusterBy: []string{"a", "a"}}, ""), "dest.cluster_by", "twice", ""},
		{"db: unsafe type", db(etl.Dest{Columns: col("amount", "", warehouse.Int64)}, etl.Truncate), "dest.columns[0].type", "choose one of FLOAT64, STRING", ""},
		{"db: date to string", db(etl.Dest{Columns: col("note", "", warehouse.Int64)}, etl.Truncate), "dest.columns[0].type", "STRING, which cannot be converted safely to INT64", ""},
		{"db: no such source column", db(etl.Dest{Columns: col("Amount", "", warehouse.String)}, etl.Truncate), "dest.columns[0].source", `no column "Amount"`, ""},
		{"db: another column's name", db(etl.Dest{Columns: col("Invoice Date", "note", "")}, etl.Truncate), "dest.columns[0].name", `source column "note"`, ""},
		{"db: partition on text", db(etl.Dest{Partition: &etl.TimePartition{Column: "note"}}, etl.Truncate), "dest.partition.column", "STRING", ""},
		{"db: partition on a renamed integer", db(etl.Dest{Columns: col("qty", "quantity", ""), Partition: &etl.TimePartition{Column: "quantity"}}, etl.Truncate), "dest.partition.column", "INT64", ""},
		{"db: clustering on a missing column", db(etl.Dest{ClusterBy: []string{"customer"}}, etl.Truncate), "dest.cluster_by", `"customer"`, ""},
		{"db: renamed merge key", db(etl.Dest{Columns: col("id", "sale_id", "")}, etl.Merge), "dest.columns[0].name", "merge key", ""},
		{"db: safe settings", db(etl.Dest{Table: "sales_ok", Columns: []etl.ColumnOverride{
			{Source: "Invoice Date", Name: "invoiced_on", Type: warehouse.Timestamp}, {Source: "qty", Type: warehouse.Numeric}},
			Partition: &etl.TimePartition{Column: "invoiced_on"}, ClusterBy: []string{"qty", etl.ColLoadedAt}}, etl.Truncate), "", "", "sales_ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := e.p.ETL.CreateJob(context.Background(), tenant, tc.job)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("CreateJob: %v", err)
				}
				if v.Dest.Table != tc.wantTable || !slices.Equal(v.Dest.ClusterBy, tc.job.Dest.ClusterBy) ||
					(tc.job.Dest.Partition != nil && v.Dest.Partition.Granularity != etl.PartitionDay) {
					t.Errorf("stored dest = %+v", v.Dest)
				}
				return
			}
			if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != tc.field || !strings.Contains(errs.UserMessage(err), tc.msgHas) {
				t.Errorf("err = %v (field %q, message %q), want invalid on %s mentioning %q", err, errs.FieldOf(err), errs.UserMessage(err), tc.field, tc.msgHas)
			}
		})
	}
}

// TestFileJobColumnSettings: a file job's runs load the columns renamed
// and cast as the job says (DuckDB, values asserted); a job without
// lineage loads only _b2b_run_id of the lineage columns. Partitioning and
// clustering are kept on the job and ignored by DuckDB.
func TestFileJobColumnSettings(t *testing.T) {
	e := newEnv(t)
	job := e.createJob(etl.NewJob{Name: "Sales", File: etl.FileSource{Prefix: "sales", Pattern: "*.csv"}, Dest: etl.Dest{Table: "sales",
		Columns: []etl.ColumnOverride{
			{Source: "Invoice Date", Name: "invoiced_on", Type: warehouse.Timestamp},
			{Source: "Qty", Type: warehouse.Numeric},
			{Source: "Paid", Name: "paid_text", Type: warehouse.String},
		},
		Partition: &etl.TimePartition{Column: "invoiced_on", Granularity: "day"}, ClusterBy: []string{"paid_text"}}})
	if job.Dest.Partition == nil || len(job.Dest.Columns) != 3 {
		t.Fatalf("stored dest = %+v", job.Dest)
	}
	r := e.drop("sales/jan.csv", "Invoice Date,Qty,Price,Paid\n2026-01-02,3,1.5,true\n2026-01-03,12,2.25,false\n")
	if r.Status != etl.StatusCompleted || r.RowsLoaded != 2 {
		t.Fatalf("run = %s %s: %s (loaded %d)", r.Status, r.ErrorType, r.ErrorMessage, r.RowsLoaded)
	}
	got := e.schemaOf("sales")
	want := map[string]warehouse.Type{"invoiced_on": warehouse.Timestamp, "qty": warehouse.Numeric, "price": warehouse.Float64, "paid_text": warehouse.String,
		etl.ColSourceFile: warehouse.String, etl.ColRunID: warehouse.String, etl.ColLoadedAt: warehouse.Timestamp}
	if len(got) != len(want) {
		t.Errorf("schema = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s: %s, want %s", k, got[k], v)
		}
	}
	assertRows(t, e.query(`SELECT invoiced_on, CAST(qty AS VARCHAR), price, paid_text, _b2b_source_file FROM raw_data.sales ORDER BY invoiced_on`), [][]any{
		{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "3.000000000", 1.5, "true", "sales/jan.csv"},
		{time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), "12.000000000", 2.25, "false", "sales/jan.csv"},
	})

	// A value that does not convert to the chosen type is a rejected row.
	r = e.drop("sales/feb.csv", "Invoice Date,Qty,Price,Paid\n2026-02-01,lots,1.5,true\n2026-02-02,5,2,false\n")
	if r.Status != etl.StatusPartial || r.RowsLoaded != 1 || r.RowsRejected != 1 || len(r.FirstRejects) != 1 || r.FirstRejects[0].Column != "qty" || r.FirstRejects[0].Line != 2 {
		t.Errorf("run with a value that is not a number = %s loaded %d rejected %d %+v", r.Status, r.RowsLoaded, r.RowsRejected, r.FirstRejects)
	}

	// The settings are fixed once the job has run (saving them unchanged is fine).
	same, changed := job.Dest, job.Dest
	changed.Columns = append([]etl.ColumnOverride{{Source: "Price", Type: warehouse.String}}, changed.Columns...)
	if _, err := e.p.ETL.UpdateJob(context.Background(), tenant, job.ID, etl.JobPatch{Dest: &same}); err != nil {
		t.Errorf("saving the same dest after a run: %v", err)
	}
	if _, err := e.p.ETL.UpdateJob(context.Background(), tenant, job.ID, etl.JobPatch{Dest: &changed}); !errs.Is(err, errs.Conflict) || errs.FieldOf(err) != "dest" {
		t.Errorf("changing the column settings after a run: %v, want a conflict on dest", err)
	}

	// Without lineage (a snapshot job): only the run id is added.
	e.createJob(etl.NewJob{Name: "Prices", File: etl.FileSource{Prefix: "prices", Pattern: "*.csv"}, LoadMode: etl.Truncate,
		Dest: etl.Dest{Table: "prices", Lineage: boolPtr(false), Columns: []etl.ColumnOverride{{Source: "SKU", Name: "product_code"}}}})
	r = e.drop("prices/p.csv", "SKU,Price\n10,1.5\n")
	if r.Status != etl.StatusCompleted {
		t.Fatalf("run = %s: %s", r.Status, r.ErrorMessage)
	}
	got = e.schemaOf("prices")
	if len(got) != 3 || got["product_code"] != warehouse.Int64 || got["price"] != warehouse.Float64 || got[etl.ColRunID] != warehouse.String {
		t.Errorf("schema without lineage = %v, want product_code, price and %s", got, etl.ColRunID)
	}
	assertRows(t, e.query(`SELECT product_code, price, _b2b_run_id FROM raw_data.prices`), [][]any{{int64(10), 1.5, r.ID}})
}

// TestDatabaseJobColumnSettings: a database job (real PostgreSQL) loads
// its columns renamed and cast through the same staging step as files.
func TestDatabaseJobColumnSettings(t *testing.T) {
	e := newEnv(t)
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.orders (id bigint PRIMARY KEY, "Order Day" date, amount bigint, flag boolean, note text)`)
	exec(`INSERT INTO $S.orders VALUES (1,'2026-01-02',1250,true,'a'),(2,NULL,7,false,NULL)`)
	connID := e.createConn(in)
	job := e.createJob(etl.NewJob{Name: "PG orders", SourceType: "postgresql", LoadMode: etl.Truncate,
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders"},
		Dest: etl.Dest{Table: "pg_orders", Lineage: boolPtr(false), Columns: []etl.ColumnOverride{
			{Source: "Order Day", Name: "ordered_at", Type: warehouse.Timestamp},
			{Source: "amount", Type: warehouse.Numeric},
			{Source: "flag", Name: "flag_text", Type: warehouse.String},
		}}})
	r := e.runJob(job.ID)
	if r.RowsLoaded != 2 || r.RowsRejected != 0 {
		t.Fatalf("run = loaded %d rejected %d", r.RowsLoaded, r.RowsRejected)
	}
	got := e.schemaOf("pg_orders")
	want := map[string]warehouse.Type{"id": warehouse.Int64, "ordered_at": warehouse.Timestamp, "amount": warehouse.Numeric,
		"flag_text": warehouse.String, "note": warehouse.String, etl.ColRunID: warehouse.String}
	if len(got) != len(want) {
		t.Errorf("schema = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s: %s, want %s", k, got[k], v)
		}
	}
	assertRows(t, e.query(`SELECT id, ordered_at, CAST(amount AS VARCHAR), flag_text, note, _b2b_run_id FROM raw_data.pg_orders ORDER BY id`), [][]any{
		{int64(1), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "1250.000000000", "true", "a", r.ID},
		{int64(2), nil, "7.000000000", "false", nil, r.ID},
	})
}

// assertGrid compares the destination grid's rows with want, each row
// as source|name|default_name|type|default_type|allowed_types|mode|lineage.
func assertGrid(t *testing.T, d etl.Destination, want []string) {
	t.Helper()
	var rows []string
	for _, c := range d.Columns {
		rows = append(rows, fmt.Sprintf("%s|%s|%s|%s|%s|%v|%s|%v", c.Source, c.Name, c.DefaultName, c.Type, c.DefaultType, c.AllowedTypes, c.Mode, c.Lineage))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("grid =\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}

// createTable creates a destination table in the tenant's warehouse.
func (e *env) createTable(table string, schema warehouse.Schema) {
	e.t.Helper()
	ctx := context.Background()
	wh, err := e.p.Resources.Warehouse(ctx, tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := wh.CreateDataset(ctx, etl.DefaultDataset); err != nil {
		e.t.Fatal(err)
	}
	if err := wh.CreateTable(ctx, etl.DefaultDataset, table, schema); err != nil {
		e.t.Fatal(err)
	}
}

// TestDescribeDestinationFile: the grid of a drop-folder file job from a
// sample of a file it would claim, with the job's settings applied, and
// the compatibility report against a table that exists.
func TestDescribeDestinationFile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b, err := e.p.Resources.Bucket(ctx, tenant, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	e.write(b, "orders/o1.csv", "Order Date,Qty,Customer\n2026-01-02,3,acme\n2026-01-03,4,globex\n")
	draft := etl.NewJob{Name: "Orders", File: etl.FileSource{Prefix: "orders", Pattern: "*.csv"}, Dest: etl.Dest{Table: "orders",
		Columns: []etl.ColumnOverride{{Source: "Qty", Name: "quantity", Type: warehouse.Numeric}}}}
	d, err := e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft, Object: "orders/o1.csv"})
	if err != nil {
		t.Fatal(err)
	}
	assertGrid(t, d, []string{
		"Order Date|order_date|order_date|DATE|DATE|[DATE TIMESTAMP DATETIME STRING]|NULLABLE|false",
		"Qty|quantity|qty|NUMERIC|INT64|[INT64 NUMERIC FLOAT64 STRING]|NULLABLE|false",
		"Customer|customer|customer|STRING|STRING|[STRING]|NULLABLE|false",
		"|_b2b_source_file|_b2b_source_file|STRING|STRING|[STRING]|NULLABLE|true",
		"|_b2b_run_id|_b2b_run_id|STRING|STRING|[STRING]|NULLABLE|true",
		"|_b2b_loaded_at|_b2b_loaded_at|TIMESTAMP|TIMESTAMP|[TIMESTAMP]|NULLABLE|true",
	})
	if d.TableExists || !d.Compatibility.Compatible || d.Warehouse != warehouse.DuckDB || !slices.Equal(d.PartitionCandidates, []string{"order_date", etl.ColLoadedAt}) {
		t.Errorf("destination = exists %v, compatibility %+v, warehouse %s, partition candidates %v", d.TableExists, d.Compatibility, d.Warehouse, d.PartitionCandidates)
	}

	// Against an existing table: quantity is added, legacy missing, order_date changed.
	e.createTable("orders", warehouse.Schema{
		{Name: "order_date", Type: warehouse.String, Nullable: true}, {Name: "customer", Type: warehouse.String, Nullable: true},
		{Name: "legacy", Type: warehouse.Int64, Nullable: true}, {Name: etl.ColRunID, Type: warehouse.String, Nullable: true},
	})
	d, err = e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft, Object: "orders/o1.csv"})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Compatibility
	if !d.TableExists || c.Compatible || !slices.Equal(c.Added, []string{"quantity"}) || !slices.Equal(c.Missing, []string{"legacy"}) ||
		len(c.Changed) != 1 || c.Changed[0] != (etl.ChangedColumn{Name: "order_date", TableType: warehouse.String, SourceType: warehouse.Date}) {
		t.Errorf("compatibility = %+v", c)
	}
	for _, part := range []string{`lacks "quantity"`, "add_columns", `lacks "legacy"`, "the table's type wins"} {
		if !strings.Contains(c.Message, part) {
			t.Errorf("message %q does not say %q", c.Message, part)
		}
	}
	draft.SchemaEvolution = etl.SchemaAddColumns
	if d, err = e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft, Object: "orders/o1.csv"}); err != nil || !d.Compatibility.Compatible {
		t.Errorf("with add_columns: %+v, %v", d.Compatibility, err)
	}

	// The job's format options read the sample.
	e.write(b, "tabs/t.csv", "A\tB\n1\tx\n")
	d, err = e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Object: "tabs/t.csv",
		Job: etl.NewJob{Name: "Tabs", File: etl.FileSource{Prefix: "tabs", Pattern: "*.csv", Delimiter: "\t", HasHeader: boolPtr(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Columns) < 2 || d.Columns[0].Name != "a" || d.Columns[0].Type != warehouse.Int64 || d.Columns[1].Name != "b" {
		t.Errorf("tab-separated sample = %+v", d.Columns)
	}

	// A file the job would not claim, an unsafe type on the sample.
	_, err = e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft, Object: "elsewhere/o1.csv"})
	if errs.FieldOf(err) != "object" {
		t.Errorf("unclaimed object: %v", err)
	}
	draft.Dest.Columns = []etl.ColumnOverride{{Source: "Customer", Type: warehouse.Int64}}
	_, err = e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft, Object: "orders/o1.csv"})
	if errs.FieldOf(err) != "dest.columns[0].type" {
		t.Errorf("unsafe type: %v", err)
	}
}

// TestDescribeDestinationPostgres: the grid of a database job from the
// table's description (the columns it names), against an existing table.
func TestDescribeDestinationPostgres(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	exec, in := pgSource(t)
	exec(`CREATE TABLE $S.orders (id bigint PRIMARY KEY, "Created At" timestamptz, amount numeric(10,2), secret text)`)
	connID := e.createConn(in)
	draft := etl.NewJob{Name: "PG", SourceType: "postgresql", Dest: etl.Dest{Table: "pg_orders", Lineage: boolPtr(false)},
		Database: &etl.DatabaseSource{ConnectionID: connID, Table: "orders", Columns: []string{"id", "Created At", "amount"}}}
	d, err := e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft})
	if err != nil {
		t.Fatal(err)
	}
	assertGrid(t, d, []string{
		"id|id|id|INT64|INT64|[INT64 NUMERIC FLOAT64 STRING]|NULLABLE|false",
		"Created At|created_at|created_at|TIMESTAMP|TIMESTAMP|[TIMESTAMP STRING]|NULLABLE|false",
		"amount|amount|amount|NUMERIC|NUMERIC|[NUMERIC STRING]|NULLABLE|false",
		"|_b2b_run_id|_b2b_run_id|STRING|STRING|[STRING]|NULLABLE|true",
	})
	if !slices.Equal(d.PartitionCandidates, []string{"created_at"}) {
		t.Errorf("partition candidates = %v", d.PartitionCandidates)
	}

	e.createTable("pg_orders", warehouse.Schema{
		{Name: "id", Type: warehouse.Int64}, {Name: "amount", Type: warehouse.Float64, Nullable: true}, {Name: "region", Type: warehouse.String},
	})
	d, err = e.p.ETL.DescribeDestination(ctx, tenant, etl.DestinationRequest{Job: draft})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Compatibility
	if !d.TableExists || c.Compatible || !slices.Equal(c.Added, []string{"created_at"}) || !slices.Equal(c.Missing, []string{"region"}) ||
		len(c.Changed) != 1 || c.Changed[0] != (etl.ChangedColumn{Name: "amount", TableType: warehouse.Float64, SourceType: warehouse.Numeric}) ||
		!strings.Contains(c.Message, `"region", which the table requires`) {
		t.Errorf("compatibility = %+v", c)
	}
	if d.Columns[0].Mode != "REQUIRED" {
		t.Errorf("id mode = %s, want the table's REQUIRED", d.Columns[0].Mode)
	}
}

// TestCheckJobName: the wizard's live name check, by the rules of create:
// taken ignoring case, except by the job being edited; invalid names say
// why.
func TestCheckJobName(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	job := e.createJob(etl.NewJob{Name: "Orders", File: etl.FileSource{Pattern: "*.csv"}})
	tests := []struct {
		name, jobID string
		available   bool
		msg         string
	}{
		{"orders", "", false, `A job named "Orders" already exists. Pick another name.`},
		{"  ORDERS ", "", false, `A job named "Orders" already exists. Pick another name.`},
		{"orders", job.ID, true, ""},
		{"Invoices", "", true, ""},
		{"", "", false, "The name is required."},
		{strings.Repeat("x", etl.MaxJobNameLen+1), "", false, "The name must be at most 100 characters of valid text."},
	}
	for _, tc := range tests {
		got, err := e.p.ETL.CheckJobName(ctx, tenant, tc.name, tc.jobID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Available != tc.available || got.Message != tc.msg {
			t.Errorf("CheckJobName(%q, %q) = %+v, want available %v, message %q", tc.name, tc.jobID, got, tc.available, tc.msg)
		}
	}
	// Create says the same.
	_, err := e.p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "ORDERS", File: etl.FileSource{Pattern: "*.csv"}})
	if !errs.Is(err, errs.Conflict) || errs.UserMessage(err) != `A job named "ORDERS" already exists. Pick another name.` {
		t.Errorf("create with a taken name: %v (%q)", err, errs.UserMessage(err))
	}
}
