// check.js: parses SQL statements with node-sql-parser's BigQuery grammar.
// Input (stdin): a JSON array of SQL strings. Output (stdout): a JSON array
// with, per statement, null when it parses or the parser's error message.
'use strict';
const { Parser } = require('node-sql-parser');

const parser = new Parser();
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const stmts = JSON.parse(input);
  const out = stmts.map((sql) => {
    try {
      parser.astify(sql, { database: 'bigquery' });
      return null;
    } catch (e) {
      return String(e && e.message ? e.message : e);
    }
  });
  process.stdout.write(JSON.stringify(out));
});
