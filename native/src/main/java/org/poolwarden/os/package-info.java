/** Thin bindings to the operating system: libc, netlink sockets and libnftables. */
package org.poolwarden.os;
