package esav.peer;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tickets in SQLite (WAL, synchronous=FULL): one INSERT per deposit, committed on its own (the
 * connection stays in auto-commit), so each answer follows its own fsync, with no group commit.
 * One connection shared under a lock: SQLite has one writer at a time anyway, and a lock queues
 * the writers instead of SQLite's sleeping busy handler.
 */
final class TicketStore implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement insert;
    private final ReentrantLock writer = new ReentrantLock();
    private final AtomicLong lastId;

    TicketStore(Path file) throws SQLException {
        connection = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA journal_mode=WAL");
            statement.execute("PRAGMA synchronous=FULL");
            statement.execute(
                    "CREATE TABLE IF NOT EXISTS tickets ("
                            + " id INTEGER PRIMARY KEY,"
                            + " reference TEXT NOT NULL UNIQUE,"
                            + " operator_code TEXT NOT NULL,"
                            + " operator_reference TEXT,"
                            + " prestation TEXT NOT NULL,"
                            + " offer_code TEXT NOT NULL,"
                            + " gravity TEXT NOT NULL,"
                            + " form_code TEXT NOT NULL,"
                            + " form_version TEXT NOT NULL,"
                            + " form_xml TEXT NOT NULL,"
                            + " comment TEXT,"
                            + " state TEXT NOT NULL,"
                            + " deposited_at TEXT NOT NULL)");
            try (ResultSet max = statement.executeQuery("SELECT COALESCE(MAX(id), 0) FROM tickets")) {
                max.next();
                lastId = new AtomicLong(max.getLong(1));
            }
        }
        connection.setAutoCommit(true);
        insert = connection.prepareStatement(
                "INSERT INTO tickets (id, reference, operator_code, operator_reference, prestation, offer_code,"
                        + " gravity, form_code, form_version, form_xml, comment, state, deposited_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }

    /** The journal mode and synchronous level in force, read back from SQLite (for the start-up line). */
    String settings() throws SQLException {
        StringBuilder settings = new StringBuilder();
        try (Statement statement = connection.createStatement()) {
            for (String pragma : new String[] {"journal_mode", "synchronous"}) {
                try (ResultSet value = statement.executeQuery("PRAGMA " + pragma)) {
                    value.next();
                    settings.append(settings.length() == 0 ? "" : ", ").append(pragma).append('=').append(value.getString(1));
                }
            }
        }
        return settings.toString(); // synchronous: 2 is FULL
    }

    /** Stores one ticket durably and returns its reference. */
    String deposit(String operator, DeposerSignalisation request, String formXml, String state, String depositedAt)
            throws SQLException {
        long id = lastId.incrementAndGet();
        String reference = String.format("JX%08d", id);
        writer.lock();
        try {
            insert.setLong(1, id);
            insert.setString(2, reference);
            insert.setString(3, operator);
            insert.setString(4, request.referenceOperateur);
            insert.setString(5, request.identifiantPrestation);
            insert.setString(6, request.codeOffre);
            insert.setString(7, request.gravite);
            insert.setString(8, request.formulaire.code);
            insert.setString(9, request.formulaire.version);
            insert.setString(10, formXml);
            insert.setString(11, request.commentaire);
            insert.setString(12, state);
            insert.setString(13, depositedAt);
            insert.executeUpdate(); // auto-commit: the fsync of the WAL happens here
        } finally {
            writer.unlock();
        }
        return reference;
    }

    @Override
    public void close() throws SQLException {
        writer.lock();
        try {
            insert.close();
            connection.close();
        } finally {
            writer.unlock();
        }
    }
}
