package org.poolwarden.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.os.Errno;
import org.poolwarden.os.KernelException;

class FakeCpuControllerTest extends CpuControllerContract {
    private FakeCpuController fake;
    private int nextPid = 1000;

    @BeforeEach
    void fresh() {
        fake = new FakeCpuController();
    }

    @Override
    protected CpuController controller() {
        return fake;
    }

    @Override
    protected int startProcess() {
        int pid = nextPid++;
        fake.spawn(pid, 1);
        return pid;
    }

    @Override
    protected int[] startProcessTree() {
        int parent = startProcess();
        int child = nextPid++;
        fake.spawn(child, parent);
        return new int[] {parent, child};
    }

    @Override
    protected int startBusyProcess() {
        return startProcess();
    }

    @Override
    protected void stopProcess(int pid) {
        fake.exit(pid);
    }

    @Override
    protected int deadPid() {
        return 999_999;
    }

    @Override
    protected void letItRun(String group, int busyPid) {
        fake.consume(group, 300_000_000L, 0, 0);
    }

    @Override
    protected void outsideWrite(String group, long rawWeight, CfsQuota quota) {
        fake.outsideWrite(group, rawWeight, quota);
    }

    @Override
    protected String groupOf(int pid) {
        return fake.groupOf(pid);
    }

    @Test
    void aFailedEnsureLeavesThePreviousState() {
        fake.ensureGroup(AppGroup.of("web", 100).withCap(CpuCap.ofCpus(0.5)));
        KernelException boom = new KernelException("write", "cpu.max", Errno.EINVAL);
        fake.failNextQuotaWrite(boom);
        KernelException e = assertThrows(KernelException.class,
                () -> fake.ensureGroup(AppGroup.of("web", 400).withCap(CpuCap.ofCpus(0.75))));
        assertSame(boom, e);
        GroupState s = fake.list().get("web");
        assertEquals(100, s.weight(), "the weight written before the failure was put back");
        assertEquals(50_000, s.quota().quotaMicros());
        assertEquals(1, fake.counters().errors());
    }

    @Test
    void aFailedCreateLeavesNoGroup() {
        fake.failNextQuotaWrite(new KernelException("write", "cpu.max", Errno.EINVAL));
        assertThrows(KernelException.class, () -> fake.ensureGroup(AppGroup.of("web", 100).withCap(CpuCap.ofCpus(0.5))));
        assertFalse(fake.list().containsKey("web"));
        assertTrue(fake.ensureGroup(AppGroup.of("web", 100).withCap(CpuCap.ofCpus(0.5))));
    }

    @Test
    void theFakeRecordsItsMappingAndName() {
        assertEquals("FakeCpuController", fake.name());
        assertEquals(WeightMapping.QUADRATIC, new FakeCpuController(WeightMapping.QUADRATIC).mapping());
    }
}
