package org.poolwarden.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import org.poolwarden.doctor.DoctorReport;
import org.poolwarden.tc.probe.TcProbe;
import org.poolwarden.tc.probe.TcSupport;

/** Glue: the tc-adapter's probe in the doctor's vocabulary (keys are the published JSON field names). */
final class TcFeatureProbe {
    private TcFeatureProbe() {
    }

    static Map<String, DoctorReport.Feature> probe() {
        TcSupport s = TcProbe.probe();
        Map<String, DoctorReport.Feature> m = new LinkedHashMap<>();
        m.put("htb", feature(s.htb()));
        m.put("ingress", feature(s.ingress()));
        m.put("ifb", feature(s.ifb()));
        m.put("mirred", feature(s.mirred()));
        m.put("u32", feature(s.u32()));
        m.put("cls_bpf", feature(s.clsBpf()));
        return m;
    }

    private static DoctorReport.Feature feature(TcSupport.Feature f) {
        return new DoctorReport.Feature(f.works(), f.reason());
    }
}
