package org.springframework.security.core.authority;

import org.springframework.security.core.GrantedAuthority;

public final class SimpleGrantedAuthority implements GrantedAuthority {
    private static final long serialVersionUID = 620L;

    private final String role;

    public SimpleGrantedAuthority(String role) {
        this.role = role;
    }

    public String getAuthority() {
        return this.role;
    }
}
