using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Autopack.Core.Data.Migrations.Postgres
{
    /// <summary>
    /// <c>run_counts</c>: how many runs there are in each state, kept by triggers as signed rows (+1 for a run that enters
    /// a state, -1 for one that leaves it), so <c>sum(delta)</c> by state is the exact count in any snapshot, committed
    /// with the write that changed it, at the cost of reading the few rows written since the last compaction rather than
    /// every run (<c>RunCountCompactor</c> folds them). The page version of <c>GET /runs</c> reads its total here.
    /// </summary>
    public partial class RunCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE run_counts (state character varying(16) NOT NULL, delta bigint NOT NULL);

                CREATE FUNCTION run_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'INSERT' THEN INSERT INTO run_counts (state, delta) VALUES (OLD.state, -1); END IF;
                    IF TG_OP <> 'DELETE' THEN INSERT INTO run_counts (state, delta) VALUES (NEW.state, 1); END IF;
                    RETURN NULL;
                END $$;

                CREATE FUNCTION run_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM run_counts;
                    RETURN NULL;
                END $$;

                CREATE TRIGGER run_counts_insert_delete AFTER INSERT OR DELETE ON runs
                    FOR EACH ROW EXECUTE FUNCTION run_counts_track();
                CREATE TRIGGER run_counts_state AFTER UPDATE OF state ON runs
                    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION run_counts_track();
                CREATE TRIGGER run_counts_truncate AFTER TRUNCATE ON runs
                    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_reset();

                -- Creating the triggers locked out writers to runs until this transaction commits, so the count is exact.
                INSERT INTO run_counts (state, delta) SELECT state, count(*) FROM runs GROUP BY state;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER run_counts_truncate ON runs;
                DROP TRIGGER run_counts_state ON runs;
                DROP TRIGGER run_counts_insert_delete ON runs;
                DROP FUNCTION run_counts_reset();
                DROP FUNCTION run_counts_track();
                DROP TABLE run_counts;
                """);
        }
    }
}
