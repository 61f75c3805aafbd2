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
customer_revenue AS (
  SELECT "customer_id" AS k FROM joined
  WHERE "customer_id" IS NOT NULL
  GROUP BY "customer_id"
  HAVING SUM("amount") >= @p1 AND SUM("amount") <= @p2
)
SELECT "invoice_no", "customer_id", "product", "invoice_ts", "amount", "category"
FROM joined
WHERE "customer_id" IN (SELECT k FROM customer_revenue)
-- @p1 = float64 10
-- @p2 = float64 500
