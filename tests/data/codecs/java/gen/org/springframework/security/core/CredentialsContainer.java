package org.springframework.security.core;

public interface CredentialsContainer {
    void eraseCredentials();
}
