package org.springframework.security.web.authentication;

import java.io.Serializable;

public class WebAuthenticationDetails implements Serializable {
    private static final long serialVersionUID = 620L;

    private final String remoteAddress;
    private final String sessionId;

    public WebAuthenticationDetails(String remoteAddress, String sessionId) {
        this.remoteAddress = remoteAddress;
        this.sessionId = sessionId;
    }
}
