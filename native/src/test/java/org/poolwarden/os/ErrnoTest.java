package org.poolwarden.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErrnoTest {
    @Test
    void namesTheCommonErrnos() {
        assertEquals("EPERM", Errno.name(1));
        assertEquals("ENOENT", Errno.name(2));
        assertEquals("EEXIST", Errno.name(17));
        assertEquals("EBUSY", Errno.name(Errno.EBUSY));
        assertEquals("EOPNOTSUPP", Errno.name(95));
        assertEquals("errno 200", Errno.name(200));
        assertEquals("ENOENT", Errno.name(-2), "netlink reports errors as negative errno");
    }

    @Test
    void kernelExceptionMessageNamesOperationTargetAndErrno() {
        KernelException e = new KernelException("setns", "/run/netns/x", Errno.EPERM);
        assertEquals("setns /run/netns/x failed: EPERM (operation not permitted)", e.getMessage());
        assertEquals("EPERM", e.errnoName());
        assertTrue(e.is(Errno.EPERM));
        KernelException text = new KernelException("nft", "add table inet x", 0, "Error: syntax error");
        assertEquals("nft add table inet x failed: Error: syntax error", text.getMessage());
        assertNull(text.errnoName());
    }

    @Test
    void nftablesErrorsAreFoldedToOneLine() {
        String err = "Error: Could not process rule: No such file or directory\nadd rule inet nope c accept\n"
                + "                ^^^^\n";
        assertEquals("Error: Could not process rule: No such file or directory | add rule inet nope c accept",
                Nftables.oneLine(err));
    }
}
