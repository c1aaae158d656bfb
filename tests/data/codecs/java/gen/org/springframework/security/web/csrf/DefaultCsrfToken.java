package org.springframework.security.web.csrf;

public final class DefaultCsrfToken implements CsrfToken {
    private static final long serialVersionUID = 620L;

    private final String token;
    private final String parameterName;
    private final String headerName;

    public DefaultCsrfToken(String headerName, String parameterName, String token) {
        this.headerName = headerName;
        this.parameterName = parameterName;
        this.token = token;
    }

    public String getToken() { return this.token; }
}
