WITH joined AS (
  SELECT t0."invoice_no" AS "invoice_no",
    t0."customer_id" AS "customer_id",
    t0."stock_code" AS "product",
    t0."invoice_ts" AS "invoice_ts",
    t0."amount" AS "amount",
    t1."category" AS "category",
    t2."country" AS "_b2b_6",
    t0."quantity" AS "_b2b_7"
  FROM "raw_data"."lines" AS t0
  LEFT JOIN "raw_data"."products" AS t1 ON t0."stock_code" = t1."code"
  INNER JOIN "raw_data"."customers" AS t2 ON t0."customer_id" = t2."id"
),
filtered AS (
  SELECT * FROM joined
  WHERE "invoice_ts" > ((SELECT MAX("invoice_ts") FROM joined) - to_days(CAST(@p1 AS INTEGER)))
    AND ("_b2b_6") = ANY(@p2)
    AND "_b2b_7" > @p3
),
top_products AS (
  SELECT k FROM (
    SELECT k, revenue,
      SUM(revenue) OVER (ORDER BY revenue DESC, k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
      SUM(revenue) OVER () AS total
    FROM (
      SELECT "product" AS k, SUM("amount") AS revenue FROM filtered
      WHERE "product" IS NOT NULL AND "amount" IS NOT NULL
      GROUP BY "product"
      HAVING SUM("amount") > 0
    ) AS totals
  ) AS ranked
  WHERE (running - revenue) * 100 < total * @p4
),
top_customers AS (
  SELECT k FROM (
    SELECT k, revenue,
      SUM(revenue) OVER (ORDER BY revenue DESC, k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
      SUM(revenue) OVER () AS total
    FROM (
      SELECT "customer_id" AS k, SUM("amount") AS revenue FROM filtered
      WHERE "customer_id" IS NOT NULL AND "amount" IS NOT NULL
      GROUP BY "customer_id"
      HAVING SUM("amount") > 0
    ) AS totals
  ) AS ranked
  WHERE (running - revenue) * 100 < total * @p5
),
customer_transactions AS (
  SELECT "customer_id" AS k FROM filtered
  WHERE "customer_id" IS NOT NULL
  GROUP BY "customer_id"
  HAVING COUNT(*) >= @p6
)
SELECT "invoice_no", "customer_id", "product", "invoice_ts", "amount", "category"
FROM filtered
WHERE "product" IN (SELECT k FROM top_products)
  AND "customer_id" IN (SELECT k FROM top_customers)
  AND "customer_id" IN (SELECT k FROM customer_transactions)
-- @p1 = int64 180
-- @p2 = []string [UK]
-- @p3 = int64 0
-- @p4 = float64 80
-- @p5 = float64 90
-- @p6 = int64 2
