package org.springframework.security.core;

import java.io.Serializable;

// Same fully-qualified name and serialized form as Spring Security 6.2's (Debian ships no Spring
// Security); see ../../../../../README.md.
public interface GrantedAuthority extends Serializable {
    String getAuthority();
}
