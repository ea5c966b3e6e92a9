"""The Admin GraphQL queries of the backfill, sized to stay well under Shopify's
1,000-point single-query cost limit (nested connections multiply the cost)."""

COUNTS = {
    "products": "query { productsCount(limit: null) { count } }",
    "orders": "query { ordersCount(limit: null) { count } }",
    "collections": "query { collectionsCount { count } }",
}

COLLECTIONS = """
query Collections($first: Int!, $after: String) {
  collections(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes { id handle title updatedAt }
  }
}"""

PRODUCTS = """
query Products($first: Int!, $after: String) {
  products(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id handle title descriptionHtml vendor productType tags status publishedAt updatedAt
      onlineStoreUrl
      featuredImage { url }
      variants(first: 50) {
        nodes { id title sku price inventoryQuantity inventoryPolicy
                inventoryItem { id tracked unitCost { amount } } }
      }
      collections(first: 10) { nodes { id } }
    }
  }
}"""

ORDERS = """
query Orders($first: Int!, $after: String) {
  orders(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id createdAt processedAt updatedAt cancelledAt currencyCode
      customer { id }
      customAttributes { key value }
      lineItems(first: 50) {
        nodes {
          id quantity
          customAttributes { key value }
          variant { id }
          product { id }
          originalUnitPriceSet { shopMoney { amount } }
        }
      }
      refunds(first: 5) { id refundLineItems(first: 20) { nodes { quantity lineItem { id } } } }
    }
  }
}"""

PAGES = {"collections": COLLECTIONS, "products": PRODUCTS, "orders": ORDERS}
PAGE_SIZES = {"collections": 100, "products": 10, "orders": 10}
