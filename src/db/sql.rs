//! SQL fragments as types of their own: diesel caches a query built only of such types as
//! a prepared statement, which it never does for a `diesel::dsl::sql` literal (and planning
//! a read anew can cost more than running it).

/// Declares a unit struct that is the SQL `$sql` of type `$st`, selectable anywhere.
macro_rules! static_sql {
    ($(#[$doc:meta])* $vis:vis $name:ident: $st:ty = $sql:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        $vis struct $name;
        impl diesel::expression::Expression for $name {
            type SqlType = $st;
        }
        impl<QS> diesel::expression::SelectableExpression<QS> for $name {}
        impl<QS> diesel::expression::AppearsOnTable<QS> for $name {}
        impl<G> diesel::expression::ValidGrouping<G> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }
        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }
    };
}

pub(crate) use static_sql;

/// A raw SQL query (`diesel::sql_query(CONSTANT).bind(…)…`) that diesel caches as a
/// prepared statement by its text, as it does a DSL query. Diesel must assume a
/// `sql_query` is built at run time and so prepares and plans it anew on every call —
/// which for a join of five tables costs more than running it. Wrap only SQL written as
/// a constant (a bounded set of statements).
#[derive(Debug, Clone)]
pub struct Prepared<Q>(pub Q);

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>> diesel::query_builder::QueryFragment<diesel::pg::Pg>
    for Prepared<Q>
{
    fn walk_ast<'b>(&'b self, out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> diesel::QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}
