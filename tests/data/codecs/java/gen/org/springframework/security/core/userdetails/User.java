package org.springframework.security.core.userdetails;

import java.io.Serializable;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.springframework.security.core.CredentialsContainer;
import org.springframework.security.core.GrantedAuthority;

// Fields, their order of declaration and the authority set (an unmodifiable TreeSet with a
// serializable comparator) as in Spring Security 6.2's User.
public class User implements UserDetails, CredentialsContainer {
    private static final long serialVersionUID = 620L;

    private String password;
    private final String username;
    private final Set<GrantedAuthority> authorities;
    private final boolean accountNonExpired;
    private final boolean accountNonLocked;
    private final boolean credentialsNonExpired;
    private final boolean enabled;

    public User(String username, String password, Collection<? extends GrantedAuthority> authorities) {
        this.username = username;
        this.password = password;
        this.enabled = true;
        this.accountNonExpired = true;
        this.credentialsNonExpired = true;
        this.accountNonLocked = true;
        this.authorities = Collections.unmodifiableSet(sortAuthorities(authorities));
    }

    private static SortedSet<GrantedAuthority> sortAuthorities(Collection<? extends GrantedAuthority> authorities) {
        SortedSet<GrantedAuthority> sorted = new TreeSet<>(new AuthorityComparator());
        sorted.addAll(authorities);
        return sorted;
    }

    public Collection<GrantedAuthority> getAuthorities() { return this.authorities; }
    public String getPassword() { return this.password; }
    public String getUsername() { return this.username; }
    public void eraseCredentials() { this.password = null; }

    private static class AuthorityComparator implements Comparator<GrantedAuthority>, Serializable {
        private static final long serialVersionUID = 620L;

        public int compare(GrantedAuthority g1, GrantedAuthority g2) {
            if (g2.getAuthority() == null) return -1;
            if (g1.getAuthority() == null) return 1;
            return g1.getAuthority().compareTo(g2.getAuthority());
        }
    }
}
