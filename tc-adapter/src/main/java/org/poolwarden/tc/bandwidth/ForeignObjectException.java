package org.poolwarden.tc.bandwidth;

/**
 * A kernel object that is not ours stands where ours would go (a root qdisc with another handle, a filter at our
 * ingress priority, a non-IFB device with our IFB's name). Thrown before anything is sent: the call changed nothing.
 * The message is one line naming the interface and the foreign object.
 */
public final class ForeignObjectException extends IllegalStateException {
    private final String device;
    private final String object;

    public ForeignObjectException(String device, String object, String why) {
        super(device + ": " + object + " is not poolwarden's; " + why + "; nothing changed");
        this.device = device;
        this.object = object;
    }

    /** The interface the foreign object is on. */
    public String device() {
        return device;
    }

    /** The foreign object as tc would name it, e.g. {@code root qdisc htb 1:}. */
    public String object() {
        return object;
    }
}
