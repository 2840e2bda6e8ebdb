package org.poolwarden.cgroup;

import java.io.PrintWriter;

import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/** Runs {@link CgroupV2CpuControllerVmContract} inside the qemu guest and prints a summary the host parses. */
public final class VmContractMain {
    private VmContractMain() {
    }

    public static void main(String[] args) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(CgroupV2CpuControllerVmContract.class)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        for (TestExecutionSummary.Failure f : s.getFailures()) {
            System.out.println("PW junit FAIL " + f.getTestIdentifier().getDisplayName() + ": "
                    + String.valueOf(f.getException()).replace('\n', ' '));
        }
        if (!s.getFailures().isEmpty()) {
            s.printFailuresTo(new PrintWriter(System.out), 12);
        }
        System.out.println("PW junit found=" + s.getTestsFoundCount() + " succeeded=" + s.getTestsSucceededCount()
                + " failed=" + s.getTestsFailedCount() + " skipped=" + (s.getTestsSkippedCount() + s.getTestsAbortedCount()));
        System.out.flush();
    }
}
