"""streammsa.server"""
