// Package driver is the kit the sources drivers (postgres, mysql) are built
// from: column description and type mapping (Describe, MapPostgres,
// MapMySQL), the extract plan and its SELECT (NewPlan, SelectQuery), the row
// iterator with watermark and boundary-key handling (NewIterator), identifier
// quoting and password redaction. Code that reads sources uses package
// sources; only drivers import this package.
package driver
