WITH joined AS (
  SELECT t0."invoice_no" AS "invoice_no",
    t0."customer_id" AS "customer_id",
    t0."stock_code" AS "product",
    t0."invoice_ts" AS "invoice_ts",
    t0."amount" AS "amount",
    t1."category" AS "category"
  FROM "raw_data"."lines" AS t0
  LEFT JOIN "raw_data"."products" AS t1 ON t0."stock_code" = t1."code"
  INNER JOIN "raw_data"."customers" AS t2 ON t0."customer_id" = t2."id"
),
top_customers AS (
  SELECT k FROM (
    SELECT k, revenue,
      SUM(revenue) OVER (ORDER BY revenue DESC, k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
      SUM(revenue) OVER () AS total
    FROM (
      SELECT "customer_id" AS k, SUM("amount") AS revenue FROM joined
      WHERE "customer_id" IS NOT NULL AND "amount" IS NOT NULL
      GROUP BY "customer_id"
      HAVING SUM("amount") > 0
    ) AS totals
  ) AS ranked
  WHERE (running - revenue) * 100 < total * @p1
)
SELECT "invoice_no", "customer_id", "product", "invoice_ts", "amount", "category"
FROM joined
WHERE "customer_id" IN (SELECT k FROM top_customers)
-- @p1 = float64 50
