package firestoresrc

import (
	"context"
	"errors"
	"io"
	"math"
	"time"

	vkit "cloud.google.com/go/firestore/apiv1"
	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
	sourcedriver "github.com/b2brecs/b2brecs/shared/sources/driver"
	"github.com/b2brecs/b2brecs/shared/warehouse"
)

type warehouseType = warehouse.Type

var errEOF = io.EOF

func wrapInt(n int) *wrapperspb.Int32Value {
	return wrapperspb.Int32(int32(min(n, math.MaxInt32)))
}

// runQuery runs a structured query and collects its documents (one page).
func runQuery(ctx context.Context, c *vkit.Client, parent string, q *pb.StructuredQuery) ([]*pb.Document, error) {
	stream, err := c.RunQuery(ctx, &pb.RunQueryRequest{Parent: parent, QueryType: &pb.RunQueryRequest_StructuredQuery{StructuredQuery: q}})
	if err != nil {
		return nil, err
	}
	var docs []*pb.Document
	for {
		res, err := stream.Recv()
		if errors.Is(err, errEOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if doc := res.GetDocument(); doc != nil {
			docs = append(docs, doc)
		}
	}
}

// sinceValue is Since as a Firestore value.
func sinceValue(since any) (*pb.Value, error) {
	switch v := since.(type) {
	case time.Time:
		return &pb.Value{ValueType: &pb.Value_TimestampValue{TimestampValue: timestamppb.New(v)}}, nil
	case int64:
		return &pb.Value{ValueType: &pb.Value_IntegerValue{IntegerValue: v}}, nil
	case float64:
		return &pb.Value{ValueType: &pb.Value_DoubleValue{DoubleValue: v}}, nil
	case string:
		return &pb.Value{ValueType: &pb.Value_StringValue{StringValue: v}}, nil
	}
	return nil, errs.E(errs.Invalid, "firestoresrc: Since is a %T (want time.Time, int64, float64 or string)", since)
}

// Extract streams a collection's documents as rows of the inferred
// columns (see the package doc for the order and the incremental modes).
func (d *Driver) Extract(ctx context.Context, req sources.ExtractRequest) (sources.RowIterator, error) {
	parent, coll, err := d.collectionPath(req.Schema, req.Table)
	if err != nil {
		return nil, err
	}
	byTime := req.TimestampColumn == UpdateTimeColumn
	if byTime && req.Limit > 0 {
		return nil, errs.Userf(errs.Invalid, "a row limit cannot be combined with the update time as the incremental column")
	}
	var docs []*pb.Document
	if err := d.call(ctx, "read collection "+req.Table, func(ctx context.Context, c *vkit.Client) (err error) {
		docs, err = d.sampleDocs(ctx, c, parent, coll)
		return err
	}); err != nil {
		return nil, err
	}
	all := infer(docs)
	idx, plan, err := sourcedriver.NewPlan("firestore", all, []string{IDColumn}, req)
	if err != nil {
		return nil, err
	}
	rows := &docRows{d: d, parent: parent, coll: coll}
	for _, i := range idx {
		rows.cols = append(rows.cols, all[i])
	}
	q := &pb.StructuredQuery{From: []*pb.StructuredQuery_CollectionSelector{{CollectionId: coll}}}
	switch {
	case byTime:
		if req.Since != nil {
			t, ok := req.Since.(time.Time)
			if !ok {
				return nil, errs.E(errs.Invalid, "firestoresrc: Since for %s is a %T (want time.Time)", UpdateTimeColumn, req.Since)
			}
			rows.after = t
		}
	case req.TimestampColumn != "":
		rows.field = req.TimestampColumn
		fp := &pb.StructuredQuery_FieldReference{FieldPath: quoteField(rows.field)}
		if req.Since != nil {
			v, err := sinceValue(req.Since)
			if err != nil {
				return nil, err
			}
			q.Where = &pb.StructuredQuery_Filter{FilterType: &pb.StructuredQuery_Filter_FieldFilter{FieldFilter: &pb.StructuredQuery_FieldFilter{
				Field: fp, Op: pb.StructuredQuery_FieldFilter_GREATER_THAN_OR_EQUAL, Value: v,
			}}}
		}
		q.OrderBy = append(q.OrderBy, &pb.StructuredQuery_Order{Field: fp, Direction: pb.StructuredQuery_ASCENDING})
	}
	q.OrderBy = append(q.OrderBy, &pb.StructuredQuery_Order{Field: &pb.StructuredQuery_FieldReference{FieldPath: "__name__"}, Direction: pb.StructuredQuery_ASCENDING})
	rows.query = q
	rows.ctx, rows.stop = d.guard.watch(ctx)
	it := sourcedriver.NewIterator(ctx, plan, len(idx), rows, func(err error) error { return d.mapErr(rows.ctx, err, "read collection "+req.Table) })
	return it, nil
}

// docRows reads a query page by page, resuming after the last document.
type docRows struct {
	d      *Driver
	ctx    context.Context
	stop   func()
	parent string
	coll   string
	query  *pb.StructuredQuery
	field  string    // the ordering field, "" for document-id order
	after  time.Time // by update time: skip documents written before
	cols   []sources.ColumnMeta

	page []*pb.Document
	i    int
	last *pb.Document
	end  bool // the last page was short
	cur  *pb.Document
	err  error
}

func (r *docRows) Next() bool {
	for {
		if r.err != nil {
			return false
		}
		if r.i < len(r.page) {
			r.cur = r.page[r.i]
			r.i++
			if !r.after.IsZero() && r.cur.GetUpdateTime().AsTime().Before(r.after) {
				continue
			}
			return true
		}
		if r.end || !r.fetch() {
			return false
		}
	}
}

// fetch reads the next page; false at the end or on error.
func (r *docRows) fetch() bool {
	c, err := r.d.fs(r.ctx)
	if err != nil {
		r.err = err
		return false
	}
	q := proto.Clone(r.query).(*pb.StructuredQuery)
	q.Limit = wrapInt(PageSize)
	if r.last != nil {
		var vals []*pb.Value
		if r.field != "" {
			vals = append(vals, r.last.GetFields()[r.field])
		}
		vals = append(vals, &pb.Value{ValueType: &pb.Value_ReferenceValue{ReferenceValue: r.last.GetName()}})
		q.StartAt = &pb.Cursor{Values: vals, Before: false}
	}
	r.page, err = runQuery(r.ctx, c, r.parent, q)
	if err != nil {
		r.err = err
		return false
	}
	r.i = 0
	r.end = len(r.page) < PageSize
	if len(r.page) > 0 {
		r.last = r.page[len(r.page)-1]
	}
	return len(r.page) > 0
}

func (r *docRows) Scan(dst []any) error {
	for i, c := range r.cols {
		dst[i] = columnValue(r.cur, c.OriginalName, c.Type)
	}
	return nil
}

func (r *docRows) Err() error { return r.err }

func (r *docRows) Close() error {
	r.stop()
	return nil
}

// quoteField is a field path of one top-level field: simple names as they
// are, others in backquotes with ` and \ escaped.
func quoteField(name string) string {
	simple := name != ""
	for i, ch := range name {
		if !(ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || i > 0 && ch >= '0' && ch <= '9') {
			simple = false
			break
		}
	}
	if simple {
		return name
	}
	out := []byte{'`'}
	for i := 0; i < len(name); i++ {
		if name[i] == '`' || name[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, name[i])
	}
	return string(append(out, '`'))
}
