package org.poolwarden.enforce;

import java.util.List;

/** The network interfaces of the namespace we enforce in, for {@code --cleanup} (which has no config to go by). */
public interface NetDevices {
    record Device(int index, String name, String kind) {}

    List<Device> all();

    /** Deletes an interface (only ever one of our IFBs whose pipe interface is gone). */
    void delete(Device d);
}
