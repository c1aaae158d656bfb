# A small Rack app whose sessions live in Redis, the way a Rails/Devise app keeps them.
#
#   SESSION_STORE=rack       Rack::Session::Redis (Debian's ruby-redis-rack): cookie "rack.session",
#                            64-hex public id, keys "rack:session:2::<sha256(id)>", no expire_after,
#                            so the keys never expire (redis-rack's default).
#   SESSION_STORE=actionpack ActionDispatch::Session::RedisStore (ruby-redis-actionpack), set up as
#                            its README does: servers "redis://HOST:PORT/0/session", expire_after
#                            90 minutes, cookie "_sessiondesk_session", 32-hex public id, keys
#                            "session:2::<sha256(id)>".
#
# Login goes through Warden (Debian's ruby-warden) with Devise's serialisation, so the session
# holds "warden.user.user.key" => [[id], salt] like a Devise app; see README.md.
#
# Run: REDIS_URL=redis://127.0.0.1:6379 PORT=0 SESSION_STORE=rack ruby app.rb
# It prints "LISTENING <port>" on stdout once it accepts connections.
require 'json'
require 'securerandom'
require 'base64'
require 'time'
require 'rack'
require 'rack/handler/webrick'
require 'warden'

USERS = JSON.parse(File.read(File.join(__dir__, '..', 'users.json')))['users']
USERS_BY_NAME = USERS.to_h { |u| [u['name'], u] }
USERS_BY_ID = USERS.to_h { |u| [u['id'], u] }

REDIS_URL = ENV.fetch('REDIS_URL', 'redis://127.0.0.1:6379').chomp('/')
STORE = ENV.fetch('SESSION_STORE', 'rack')

# Devise serialises a record as [record.to_key, record.authenticatable_salt].
Warden::Manager.serialize_into_session { |user| [[user['id']], user['salt']] }
Warden::Manager.serialize_from_session do |(key, salt)|
  user = USERS_BY_ID[Array(key).first]
  user if user && user['salt'] == salt
end

def fake_jwt(claims)
  header = Base64.urlsafe_encode64({ alg: 'RS256', typ: 'JWT', kid: 'fixture-key-1' }.to_json, padding: false)
  payload = Base64.urlsafe_encode64(claims.to_json, padding: false)
  "#{header}.#{payload}.#{SecureRandom.urlsafe_base64(32, false)}"
end

def json(status, body)
  [status, { 'content-type' => 'application/json' }, [body.to_json]]
end

class SessionApp
  def call(env)
    req = Rack::Request.new(env)
    case [req.request_method, req.path_info]
    when ['GET', '/'] then home(env)
    when ['POST', '/login'] then login(req, env)
    when ['GET', '/me'] then me(env)
    when ['POST', '/logout'] then logout(env)
    else json(404, error: "no route for #{req.request_method} #{req.path_info}")
    end
  end

  private

  # The login page: like a Rails page with csrf_meta_tags, it gives an anonymous visitor a
  # session holding only the CSRF token.
  def home(env)
    session = env['rack.session']
    session['_csrf_token'] ||= SecureRandom.base64(32)
    json(200, csrf_token: session['_csrf_token'])
  end

  def login(req, env)
    name = begin
      JSON.parse(req.body.read)['user'].to_s
    rescue JSON::ParserError
      ''
    end
    user = USERS_BY_NAME[name]
    return json(400, error: 'field "user" is required') if name.empty?
    return json(404, error: "no such user: #{name}") unless user

    warden = env['warden']
    # Warden renews the session id on set_user (no session fixation).
    warden.set_user(user, scope: :user)
    session = env['rack.session']
    now = Time.now
    # Devise's timeoutable keeps the last request time in the scope's Warden session.
    warden.session(:user)['last_request_at'] = now.to_i
    session['_csrf_token'] = SecureRandom.base64(32)
    session['login_at'] = now
    session['user_agent'] = req.user_agent
    session['ip'] = req.ip
    session['oauth_token'] = {
      'provider' => 'example-id',
      'access_token' => fake_jwt(iss: 'https://id.example.com', sub: user['id'].to_s, iat: now.to_i,
                                 exp: now.to_i + 3600, scope: 'openid email profile'),
      'refresh_token' => SecureRandom.urlsafe_base64(48, false),
      'expires_at' => now.to_i + 3600
    }
    json(200, user_id: name, session_user: user['id'].to_s)
  end

  def me(env)
    user = env['warden'].user(:user)
    return json(401, error: 'not logged in') unless user

    json(200, user_id: user['name'], email: user['email'])
  end

  def logout(env)
    env['warden'].logout(:user)
    env['rack.session.options'][:drop] = true
    [204, {}, []]
  end
end

def session_middleware
  case STORE
  when 'rack'
    require 'rack/session/redis'
    [Rack::Session::Redis, { redis_server: "#{REDIS_URL}/0/rack:session", httponly: true, same_site: :lax }]
  when 'actionpack'
    require 'action_dispatch'
    require 'action_dispatch/middleware/session/redis_store'
    [ActionDispatch::Session::RedisStore,
     { servers: ["#{REDIS_URL}/0/session"], expire_after: 90 * 60, key: '_sessiondesk_session', httponly: true }]
  else
    abort "app.rb: SESSION_STORE must be rack or actionpack, not #{STORE}"
  end
end

middleware, options = session_middleware
app = Rack::Builder.new do
  use ActionDispatch::Cookies if STORE == 'actionpack'
  use middleware, options
  use Warden::Manager do |manager|
    manager.failure_app = ->(_env) { json(401, error: 'not logged in') }
  end
  run SessionApp.new
end

$stdout.sync = true
port = Integer(ENV.fetch('PORT', '0'))
Rack::Handler::WEBrick.run(
  app, Host: '127.0.0.1', Port: port, AccessLog: [], Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN),
  StartCallback: -> { puts "LISTENING #{@server_port}" }
) do |server|
  @server_port = server.listeners.first.addr[1]
  %w[INT TERM].each { |signal| trap(signal) { server.shutdown } }
end
