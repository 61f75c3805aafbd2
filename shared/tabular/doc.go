// Package tabular is the file-format core of ETL: it detects formats,
// sanitises names, infers schemas and converts CSV, JSON Lines, JSON and
// Parquet files into staged Parquet parts for a warehouse load.
//
// It is a pure library over io.Reader / io.Writer: the ETL orchestrator
// streams objects in (Infer, then Convert on a second read) and parts out
// (ConvertOptions.NewPart). Inputs may be gzip-compressed whatever their
// names say (the magic bytes are sniffed).
//
// Rows that are already typed (a database table's) are converted the
// same way without going through text: ConvertRows over a RowSource.
//
// Conversion never alters a value silently: a row that does not fit the
// schema is rejected whole, written to ConvertOptions.Rejects as a JSON
// line {line, column, reason, raw} and counted in Stats, so that
// RowsRead = RowsWritten + RowsRejected.
//
// Parts are Parquet files (Snappy or Zstd) whose column names are the
// sanitised names and whose Arrow types follow ArrowType: INT64 int64,
// FLOAT64 float64, BOOL bool, STRING and JSON utf8, DATE date32, TIMESTAMP
// timestamp[us, UTC] (timestamps without a zone are taken as UTC), DATETIME
// timestamp[us], TIME time64[us], NUMERIC decimal128(38, 9), BYTES binary.
package tabular
