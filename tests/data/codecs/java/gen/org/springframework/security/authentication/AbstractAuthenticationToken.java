package org.springframework.security.authentication;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.CredentialsContainer;
import org.springframework.security.core.GrantedAuthority;

public abstract class AbstractAuthenticationToken implements Authentication, CredentialsContainer {
    private final Collection<GrantedAuthority> authorities;
    private Object details;
    private boolean authenticated = false;

    public AbstractAuthenticationToken(Collection<? extends GrantedAuthority> authorities) {
        this.authorities = Collections.unmodifiableList(new ArrayList<>(authorities));
    }

    public Collection<GrantedAuthority> getAuthorities() { return this.authorities; }
    public Object getDetails() { return this.details; }
    public void setDetails(Object details) { this.details = details; }
    public boolean isAuthenticated() { return this.authenticated; }
    public void setAuthenticated(boolean authenticated) { this.authenticated = authenticated; }
    public String getName() { return String.valueOf(getPrincipal()); }
    public void eraseCredentials() {}
}
