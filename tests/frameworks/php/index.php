<?php
// A small PHP app whose sessions live in Redis through phpredis's session handler
// (session.save_handler=redis). Started by run.sh with the PHP built-in server; run.sh sets the
// session.* settings, including session.serialize_handler (php or php_serialize).
//
// Every page calls session_start(), as a typical PHP app does. POST /login {"user": NAME}
// regenerates the session id and stores the user's numeric id under $_SESSION['user_id'].
declare(strict_types=1);

const USERS_FILE = __DIR__ . '/../users.json';

function reply(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body, JSON_UNESCAPED_SLASHES);
}

function find_user(string $name): ?array
{
    $users = json_decode((string) file_get_contents(USERS_FILE), true)['users'];
    foreach ($users as $user) {
        if ($user['name'] === $name) {
            return $user;
        }
    }
    return null;
}

function base64url(string $bytes): string
{
    return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
}

// Token-shaped string (header.payload.signature); valid nowhere.
function fake_jwt(array $claims): string
{
    $header = base64url(json_encode(['alg' => 'RS256', 'typ' => 'JWT', 'kid' => 'fixture-key-1']));
    return $header . '.' . base64url(json_encode($claims, JSON_UNESCAPED_SLASHES)) . '.' . base64url(random_bytes(32));
}

function login(): void
{
    $body = json_decode((string) file_get_contents('php://input'), true);
    $name = is_array($body) ? trim((string) ($body['user'] ?? '')) : '';
    if ($name === '') {
        reply(400, ['error' => 'field "user" is required']);
        return;
    }
    $user = find_user($name);
    if ($user === null) {
        reply(404, ['error' => "no such user: $name"]);
        return;
    }
    // A fresh id on login (no session fixation); the old session is deleted.
    session_regenerate_id(true);
    $now = time();
    $profile = new stdClass();
    $profile->name = ucfirst($user['name']);
    $profile->email = $user['email'];
    $_SESSION['user_id'] = $user['id'];
    $_SESSION['username'] = $user['name'];
    $_SESSION['profile'] = $profile;
    // The same object again: PHP writes it as a back-reference (r:N;) the second time.
    $_SESSION['auth'] = ['guard' => 'web', 'user' => $profile, 'remember' => false];
    $_SESSION['login_at'] = $now;
    $_SESSION['user_agent'] = $_SERVER['HTTP_USER_AGENT'] ?? null;
    $_SESSION['ip'] = $_SERVER['REMOTE_ADDR'];
    $_SESSION['csrf_token'] = bin2hex(random_bytes(32));
    $_SESSION['oauth'] = [
        'access_token' => fake_jwt(['iss' => 'https://id.example.com', 'sub' => (string) $user['id'],
            'iat' => $now, 'exp' => $now + 3600, 'scope' => 'openid email profile']),
        'refresh_token' => base64url(random_bytes(48)),
        'expires_at' => $now + 3600,
    ];
    reply(200, ['user_id' => $user['name'], 'session_user' => (string) $user['id']]);
}

session_start();
$route = $_SERVER['REQUEST_METHOD'] . ' ' . parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
switch ($route) {
    case 'GET /':
        // The login page: an anonymous visitor's session gets a CSRF token for the form.
        $_SESSION['csrf_token'] ??= bin2hex(random_bytes(32));
        reply(200, ['csrf_token' => $_SESSION['csrf_token']]);
        break;
    case 'POST /login':
        login();
        break;
    case 'GET /me':
        if (!isset($_SESSION['user_id'])) {
            reply(401, ['error' => 'not logged in']);
            break;
        }
        reply(200, ['user_id' => $_SESSION['username'], 'email' => $_SESSION['profile']->email ?? null]);
        break;
    case 'POST /logout':
        $_SESSION = [];
        session_destroy();
        setcookie(session_name(), '', ['expires' => 1, 'path' => '/']);
        http_response_code(204);
        break;
    default:
        reply(404, ['error' => "no route for $route"]);
}
