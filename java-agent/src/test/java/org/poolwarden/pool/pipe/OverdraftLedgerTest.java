package org.poolwarden.pool.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OverdraftLedgerTest {

    @Test
    void wholePacketOverCreditIsDebtPaidFromTheNextTick() {
        OverdraftLedger l = new OverdraftLedger();
        assertEquals(1000, l.begin(1000));
        l.sent(999);
        l.sent(1500); // one MTU packet with 1 byte of credit left
        assertEquals(1499, l.overdraft());
        assertEquals(1, l.overdrawnTicks());
        // Next tick: nothing unused to pay with, so the debt is held back from the new credit.
        assertEquals(2000 - 1499, l.begin(2000));
        l.sent(501);
        // The 1499 left unused pays the debt off.
        assertEquals(2000, l.begin(2000));
        assertEquals(0, l.overdraft());
    }

    @Test
    void debtLargerThanCreditCarriesOver() {
        OverdraftLedger l = new OverdraftLedger();
        l.begin(0);
        l.sent(3000);
        assertEquals(0, l.begin(1000));
        assertEquals(0, l.begin(1000)); // 1000 unused paid: 2000 left
        assertEquals(1000 - 1000, l.begin(1000)); // 1000 left
        assertEquals(1000, l.begin(1000));
        assertEquals(0, l.overdraft());
    }

    @Test
    void debtIsNotTakenFromTheProtectedBookedPart() {
        OverdraftLedger l = new OverdraftLedger();
        assertEquals(312_500, l.begin(312_500, 312_500));
        l.sent(313_500); // whole packets: 1000 over the booked credit
        assertEquals(1000, l.overdraft());
        // only booked credit: the guarantee is sent in full, the debt waits
        assertEquals(312_500, l.begin(312_500, 312_500));
        l.sent(312_500);
        assertEquals(1000, l.overdraft());
        // unbooked credit above the booking pays it (held back from the unbooked part only)
        assertEquals(400_000 - 1000, l.begin(400_000, 312_500));
        l.sent(399_000);
        assertEquals(400_000, l.begin(400_000, 312_500));
        assertEquals(0, l.overdraft());
        // protection never exceeds the credit itself
        l.sent(401_500);
        assertEquals(100_000, l.begin(100_000, 312_500));
    }

    @Test
    void rejectsNegatives() {
        OverdraftLedger l = new OverdraftLedger();
        assertThrows(IllegalArgumentException.class, () -> l.begin(-1));
        assertThrows(IllegalArgumentException.class, () -> l.sent(-1));
        assertThrows(IllegalArgumentException.class, () -> l.begin(1, -1));
    }
}
