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
