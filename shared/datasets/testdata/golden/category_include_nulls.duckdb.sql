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
filtered AS (
  SELECT * FROM joined
  WHERE (("category") = ANY(@p1) OR "category" IS NULL)
)
SELECT "invoice_no", "customer_id", "product", "invoice_ts", "amount", "category"
FROM filtered
-- @p1 = []string [toys]
