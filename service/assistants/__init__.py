"""The search as tools for chat assistants: definitions shared by function calling and the MCP
server.
"""
