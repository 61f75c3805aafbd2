WITH joined AS (
  SELECT t0.`invoice_no` AS `invoice_no`,
    t0.`customer_id` AS `customer_id`,
    t0.`stock_code` AS `product`,
    t0.`invoice_ts` AS `invoice_ts`,
    t0.`amount` AS `amount`,
    t1.`category` AS `category`
  FROM `raw_data`.`lines` AS t0
  LEFT JOIN `raw_data`.`products` AS t1 ON t0.`stock_code` = t1.`code`
  INNER JOIN `raw_data`.`customers` AS t2 ON t0.`customer_id` = t2.`id`
),
top_products AS (
  SELECT k FROM (
    SELECT k, revenue,
      SUM(revenue) OVER (ORDER BY revenue DESC, k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
      SUM(revenue) OVER () AS total
    FROM (
      SELECT `product` AS k, SUM(`amount`) AS revenue FROM joined
      WHERE `product` IS NOT NULL AND `amount` IS NOT NULL
      GROUP BY `product`
      HAVING SUM(`amount`) > 0
    ) AS totals
  ) AS ranked
  WHERE (running - revenue) * 100 < total * @p1
),
base AS (
SELECT `invoice_no`, `customer_id`, `product`, `invoice_ts`, `amount`, `category`
FROM joined
WHERE `product` IN (SELECT k FROM top_products)
)
SELECT `invoice_no`, `customer_id`, `product`, UNIX_SECONDS(CAST(`invoice_ts` AS TIMESTAMP)) AS `invoice_ts`, `amount`, `category`,
  CASE WHEN `invoice_ts` > TIMESTAMP_SUB((SELECT MAX(`invoice_ts`) FROM base), INTERVAL @p2 DAY) THEN 2 ELSE 0 END AS `split`
FROM base
WHERE `customer_id` IS NOT NULL
  AND `product` IS NOT NULL
  AND `invoice_ts` IS NOT NULL
-- @p1 = float64 80
-- @p2 = int64 2
