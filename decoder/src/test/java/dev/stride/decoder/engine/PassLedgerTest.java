package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.mtp.PassCostCurve;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** Multi-token passes priced against the plain passes that make the same tokens at the same batch. */
class PassLedgerTest {

    /** cost(n) = 1 + 0.1 (n - 1) up to 16 rows. */
    private static final PassCostCurve CURVE = new PassCostCurve(new int[] {1, 16}, new double[] {1.0, 2.5});

    @Test
    void aTreeAtBatchOneAgainstOneRowPasses() {
        PassLedger ledger = new PassLedger();
        ledger.record(1, 3, 2); // chain:2 yielding two tokens
        ledger.record(1, 3, 3);
        // 5 tokens plainly: 5 one-row passes (cost 1 each); the two 3-row passes cost 1.2 each.
        assertEquals(2.4 / 5.0, ledger.costOverPlain(CURVE), 1e-12);
        assertEquals(6, ledger.rows());
        assertEquals(5, ledger.tokens());
    }

    /** At batch 8 a plain pass already carries 8 rows: 24-row passes are priced against those, not one row. */
    @Test
    void treesAtBatchEightAgainstEightRowPasses() {
        PassLedger ledger = new PassLedger();
        ledger.record(8, 24, 16);
        double plain = 16 / 8.0 * CURVE.cost(8); // two plain passes of 8 rows
        assertEquals(CURVE.cost(24) / plain, ledger.costOverPlain(CURVE), 1e-12);
        assertTrue(ledger.costOverPlain(CURVE) > CURVE.cost(3) / (2 * CURVE.cost(1)),
                "dearer than the same trees at batch 1");
    }

    @Test
    void plainPassesCostWhatPlainDecodingCosts() {
        PassLedger ledger = new PassLedger();
        for (int sequences = 1; sequences <= 8; sequences++) {
            ledger.record(sequences, sequences, sequences);
        }
        assertEquals(1.0, ledger.costOverPlain(CURVE));
    }

    @Test
    void partitionsAddUpToTheRun() throws Exception {
        PassLedger one = new PassLedger();
        one.record(2, 6, 4);
        PassLedger two = new PassLedger();
        two.record(5, 5, 5);
        two.record(1, 4, 3);
        PassLedger all = new PassLedger();
        all.record(2, 6, 4);
        all.record(5, 5, 5);
        all.record(1, 4, 3);
        PassLedger run = new PassLedger();
        run.add(one);
        run.add(roundTrip(two)); // as Spark ships a partition's report
        assertEquals(all.costOverPlain(CURVE), run.costOverPlain(CURVE));
        assertEquals(all.rows(), run.rows());
        assertEquals(all.tokens(), run.tokens());
    }

    @Test
    void noPassesNoPrice() {
        PassLedger ledger = new PassLedger();
        assertTrue(ledger.isEmpty());
        assertTrue(Double.isNaN(ledger.costOverPlain(CURVE)));
    }

    private static PassLedger roundTrip(PassLedger ledger) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(ledger);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (PassLedger) in.readObject();
        }
    }
}
